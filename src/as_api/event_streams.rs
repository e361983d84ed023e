//! Event streams: near-real-time events for the calling user.

use super::models::{EventStreamGetPostResponse, EventStreamVersionGetResponse};
use crate::api_rv::ApiRv;
use crate::api_rv::NoContent;
use crate::as_api::EventStreamFormat;
use crate::client::{Api, Client};
use crate::request::{call, Auth};

/// The installed event-stream service: `GET /event-stream/version`, sent without a token.
/// `msg` is `{"version", "protocol", "name"}`.
pub fn get_event_stream_version(client: &Client) -> ApiRv<EventStreamVersionGetResponse> {
    call!(Api::As, "GET", "/event-stream/version")
        .auth(Auth::Never)
        .error("Failed getting event stream version")
        .run(client)
}

/// Your event stream, if you have one: `GET /event-stream`. `msg` is
/// `{"id", "name", "location", "format"}`.
///
///
/// As in the Python client, the token is sent only when the client has one.
pub fn get_event_stream(client: &Client) -> ApiRv<EventStreamGetPostResponse> {
    call!(Api::As, "GET", "/event-stream")
        .auth(Auth::IfAvailable)
        .error("Failed getting event stream")
        .run(client)
}

/// Creates your event stream: `POST /event-stream` with JSON `{"format": <name>}`.
///
///
/// ```no_run
/// use squonk2::as_api::{self, EventStreamFormat};
/// # fn main() -> anyhow::Result<()> {
/// let client = squonk2::Client::from_env()?;
/// let stream = as_api::create_event_stream(&client, EventStreamFormat::JsonString).into_result()?;
/// println!("events at {}", stream["location"]);
/// # Ok(())
/// # }
/// ```
pub fn create_event_stream(
    client: &Client,
    event_format: EventStreamFormat,
) -> ApiRv<EventStreamGetPostResponse> {
    call!(Api::As, "POST", "/event-stream")
        .json_field("format", event_format.as_str())
        .error("Failed to create event stream")
        .run(client)
}

/// Deletes your event stream: `DELETE /event-stream/{event_stream_id}`. An id below 1 fails
/// before anything is sent ([D3](crate::python_differences)).
pub fn delete_event_stream(client: &Client, event_stream_id: i64) -> ApiRv<NoContent> {
    call!(Api::As, "DELETE", "/event-stream/{event_stream_id}")
        .require_positive("event_stream_id", event_stream_id)
        .path("event_stream_id", event_stream_id)
        .error("Failed to delete event stream")
        .run(client)
}
