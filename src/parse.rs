//! Typed answers: [`ApiRv::parse`] decodes `msg` into one of the models of
//! [`dm_api::models`](crate::dm_api::models) and [`as_api::models`](crate::as_api::models).

use std::fmt;

use serde::de::DeserializeOwned;

use crate::api_rv::ApiRv;

impl ApiRv {
    /// Decodes the answer (`msg`) into `T`, typically the model its endpoint documents:
    ///
    /// ```no_run
    /// use squonk2::dm_api::{self, models::ProjectDetail};
    /// # fn main() -> anyhow::Result<()> {
    /// let client = squonk2::Client::from_env()?;
    /// let project: ProjectDetail = dm_api::get_project(&client, "project-123").parse()?;
    /// println!("{} is {} bytes", project.name, project.size);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A failed call gives an error carrying its failure text; an answer that does not fit `T`
    /// gives one naming the call, the field and what was wrong, e.g.
    /// `GET /project/{project_id}: msg.created: invalid type: null, expected a string`. Fields
    /// `T` does not have are ignored. The `ApiRv` is left as it was.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] when the call failed, or when `msg` does not decode into `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ParseError> {
        if let Some(failure) = self.error() {
            return Err(ParseError {
                call: self.call().to_string(),
                status: self.http_status_code,
                path: String::new(),
                message: failure.to_string(),
                call_failed: true,
            });
        }
        serde_path_to_error::deserialize(&self.msg).map_err(|e| {
            let path = e.path().to_string();
            ParseError {
                call: self.call().to_string(),
                status: self.http_status_code,
                path: if path == "." {
                    "msg".to_string()
                } else {
                    format!("msg.{path}")
                },
                message: without_strings(&e.into_inner().to_string()),
                call_failed: false,
            }
        })
    }
}

/// serde quotes a wrongly typed string (`invalid type: string "...", expected ...`); the
/// string could be a token, and secrets never appear in errors.
fn without_strings(message: &str) -> String {
    for lead in ["invalid type: string \"", "invalid value: string \""] {
        if let Some(rest) = message.strip_prefix(lead) {
            if let Some(end) = rest.rfind("\", expected") {
                return format!("{}string{}", &lead[..lead.len() - 8], &rest[end + 1..]);
            }
        }
    }
    message.to_string()
}

/// Why [`ApiRv::parse`] gave no value: the call failed, or its answer did not fit the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was called: `METHOD /path/{template}` (empty when not known).
    pub call: String,
    /// The HTTP status of the answer, `0` when there was none.
    pub status: u16,
    /// Where in the answer decoding failed, e.g. `msg.tasks[0].done`; empty when the call
    /// failed.
    pub path: String,
    /// What was wrong, or the call's failure text (`msg["error"]`) when it failed.
    pub message: String,
    /// Whether the call itself failed, so there was no answer to decode.
    pub call_failed: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.call.is_empty() {
            write!(f, "{}: ", self.call)?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::without_strings;

    #[test]
    fn wrongly_typed_strings_are_not_repeated() {
        assert_eq!(
            without_strings("invalid type: string \"s3cr\\\"et\", expected a boolean"),
            "invalid type: string, expected a boolean"
        );
        assert_eq!(
            without_strings("invalid type: null, expected a string"),
            "invalid type: null, expected a string"
        );
    }
}
