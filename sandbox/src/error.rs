//! The error body of the Data Manager, Account Server and UI APIs: `{"error": "..."}`.

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answer with the APIs' `{"error": message}` body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(method: &Method, path: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, format!("Not found: {method} {path}"))
    }

    /// A 401 that also tells the client which scheme to use.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Response {
        let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
