//! Event streams (one per user) and action records.

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::dates::Period;
use super::state::{Action, EventStream};
use super::types::{
    ActionDetail, ActionGetResponse, EventStreamGetPostResponse, EventStreamVersionGetResponse,
    MerchantSummary,
};
use super::{forbidden, json_body, json_with, no_content, not_found, Params, QueryPairs};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::{lock, AppState};

/// The formats of event-stream messages and action contents.
const FORMATS: [&str; 2] = ["PROTOCOL_STRING", "JSON_STRING"];

/// `GET /event-stream/version` (no token needed).
pub(crate) async fn get_event_stream_version() -> Json<EventStreamVersionGetResponse> {
    Json(EventStreamVersionGetResponse {
        version: "1.0.0-sandbox",
        protocol: "WEBSOCKET",
        name: "squonk2-sandbox-event-stream",
    })
}

fn stream_response(stream: &EventStream) -> EventStreamGetPostResponse {
    EventStreamGetPostResponse {
        id: stream.id,
        name: stream.name.clone(),
        location: stream.location.clone(),
        format: stream.format.clone(),
    }
}

/// `GET /event-stream`: the caller's, if any.
pub(crate) async fn get_event_stream(
    State(shared): State<AppState>,
    user: AuthUser,
) -> Result<Json<EventStreamGetPostResponse>, ApiError> {
    let state = lock(&shared.account);
    state
        .event_streams
        .iter()
        .find(|s| s.owner == user.username)
        .map(|s| Json(stream_response(s)))
        .ok_or_else(|| not_found("You have no event stream"))
}

#[derive(Deserialize)]
pub(crate) struct EventStreamPostBody {
    format: Option<String>,
}

/// `POST /event-stream`: one per user.
pub(crate) async fn create_event_stream(
    State(shared): State<AppState>,
    user: AuthUser,
    body: Body,
) -> Result<Response, ApiError> {
    let body: EventStreamPostBody = json_body(body).await?;
    let format = body.format.unwrap_or_else(|| FORMATS[0].to_owned());
    if !FORMATS.contains(&format.as_str()) {
        return Err(ApiError::bad_request(format!(
            "'format' must be PROTOCOL_STRING or JSON_STRING, not {format:?}"
        )));
    }
    let uuid = shared.key.random_uuid();
    let mut state = lock(&shared.account);
    if state.event_streams.iter().any(|s| s.owner == user.username) {
        return Err(ApiError::bad_request("You already have an event stream"));
    }
    let scheme = if state.base_url.starts_with("https:") {
        "wss"
    } else {
        "ws"
    };
    let stream = EventStream {
        id: state.next_number(),
        owner: user.username.clone(),
        name: format!("es-{uuid}"),
        location: format!("{scheme}://{}/event-stream/{uuid}", state.host()),
        format,
        feed: Default::default(),
    };
    let response = stream_response(&stream);
    state.event_streams.push(stream);
    Ok(json_with(StatusCode::CREATED, response))
}

/// `DELETE /event-stream/{event_stream_id}`: only the caller's own.
pub(crate) async fn delete_event_stream(
    State(shared): State<AppState>,
    user: AuthUser,
    Params(event_stream_id): Params<String>,
) -> Result<Response, ApiError> {
    let mut state = lock(&shared.account);
    let id = event_stream_id.parse::<i64>().ok();
    let stream = state
        .event_streams
        .iter()
        .find(|s| Some(s.id) == id)
        .ok_or_else(|| not_found(format!("Event stream {event_stream_id} does not exist")))?;
    if stream.owner != user.username {
        return Err(forbidden(format!(
            "Event stream {event_stream_id} is not yours"
        )));
    }
    state.event_streams.retain(|s| Some(s.id) != id);
    Ok(no_content(StatusCode::NO_CONTENT))
}

/// An action's content: a JSON text, or a protocol-buffer text string on one line.
fn action_content(action: &Action, format: &str) -> String {
    if format == "JSON_STRING" {
        let mut object = serde_json::Map::new();
        object.insert("action".into(), action.action.into());
        object.insert("timestamp".into(), action.timestamp.clone().into());
        for (key, value) in &action.fields {
            object.insert((*key).into(), value.clone().into());
        }
        serde_json::Value::Object(object).to_string()
    } else {
        let quote = |v: &str| serde_json::Value::from(v).to_string();
        let mut parts = vec![
            format!("action: {}", quote(action.action)),
            format!("timestamp: {}", quote(&action.timestamp)),
        ];
        parts.extend(
            action
                .fields
                .iter()
                .map(|(key, value)| format!("{key}: {}", quote(value))),
        );
        parts.join(" ")
    }
}

/// `GET /action` (admins only): the actions of a day range (default: today), for one
/// merchant, organisation, unit or product when asked.
pub(crate) async fn get_actions(
    State(shared): State<AppState>,
    user: AuthUser,
    uri: Uri,
) -> Result<Json<ActionGetResponse>, ApiError> {
    if !user.may_be_admin {
        return Err(forbidden("You need admin rights to see actions"));
    }
    let query = QueryPairs::of(&uri);
    let format = query.get("format").unwrap_or(FORMATS[0]);
    if !FORMATS.contains(&format) {
        return Err(ApiError::bad_request(format!(
            "'format' must be PROTOCOL_STRING or JSON_STRING, not {format:?}"
        )));
    }
    let m_id = query.int("m_id")?;
    let ids: Vec<&str> = ["org_id", "unit_id", "product_id"]
        .into_iter()
        .filter(|name| query.get(name).is_some())
        .collect();
    if ids.len() + usize::from(m_id.is_some()) > 1 {
        return Err(ApiError::bad_request(
            "Give at most one of m_id, org_id, unit_id and product_id",
        ));
    }
    let (from, until) = (query.date("from")?, query.date("until")?);
    let state = lock(&shared.account);
    let today = state.today();
    let period = match (from, until) {
        (None, None) => Period {
            from: today,
            until: today.add_days(1),
        },
        (Some(from), None) => Period {
            from,
            until: from.add_days(1).max(today.add_days(1)),
        },
        (None, Some(until)) => Period {
            from: until.add_days(-1),
            until,
        },
        (Some(from), Some(until)) => Period { from, until },
    };
    let wanted = |a: &&Action| {
        period.contains(a.date)
            && m_id.is_none_or(|m| a.merchant_id == Some(m))
            && query
                .get("org_id")
                .is_none_or(|id| a.org_id.as_deref() == Some(id))
            && query
                .get("unit_id")
                .is_none_or(|id| a.unit_id.as_deref() == Some(id))
            && query
                .get("product_id")
                .is_none_or(|id| a.product_id.as_deref() == Some(id))
    };
    let actions: Vec<ActionDetail> = state
        .actions
        .iter()
        .filter(wanted)
        .map(|a| ActionDetail {
            id: a.id,
            action: a.action,
            content: action_content(a, format),
            timestamp: a.timestamp.clone(),
            merchant: a
                .merchant_id
                .and_then(|id| state.merchant(id))
                .map(|m| MerchantSummary {
                    id: m.id,
                    kind: "DATA_MANAGER",
                    name: m.name.clone(),
                }),
            product_id: a.product_id.clone(),
            unit_id: a.unit_id.clone(),
            org_id: a.org_id.clone(),
        })
        .collect();
    Ok(Json(ActionGetResponse {
        count: actions.len(),
        actions,
    }))
}
