//! How argument values are rendered into query strings, forms and multipart text fields.

/// A value for a query string, form or multipart text field, rendered as the Python client
/// renders it (`True`/`False` for booleans, decimal numbers).
pub(crate) trait Param {
    /// The value as sent.
    fn render(&self) -> String;
    /// Whether Python would see the value as set (truthy): not empty, not `0`, not `False`.
    fn is_set(&self) -> bool;
}

impl Param for str {
    fn render(&self) -> String {
        self.to_string()
    }
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl Param for String {
    fn render(&self) -> String {
        self.clone()
    }
    fn is_set(&self) -> bool {
        !self.is_empty()
    }
}

impl Param for bool {
    fn render(&self) -> String {
        if *self { "True" } else { "False" }.to_string()
    }
    fn is_set(&self) -> bool {
        *self
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn render(&self) -> String {
                self.to_string()
            }
            fn is_set(&self) -> bool {
                *self != 0
            }
        }
    )*};
}
int_param!(i32, i64, u32, u64, usize);

impl<T: Param + ?Sized> Param for &T {
    fn render(&self) -> String {
        (**self).render()
    }
    fn is_set(&self) -> bool {
        (**self).is_set()
    }
}

impl<T: Param> Param for Option<T> {
    fn render(&self) -> String {
        self.as_ref().map(Param::render).unwrap_or_default()
    }
    fn is_set(&self) -> bool {
        self.as_ref().is_some_and(Param::is_set)
    }
}
