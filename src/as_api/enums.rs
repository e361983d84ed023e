//! The enumerations of the Python client's `squonk2.enumerations`, sent by their Python name.

use std::fmt;

use crate::request::Param;

use super::models::{ProductDetailFlavour, ProductDetailType};

/// The type of a product, for [`create_product`](super::create_product): the Account
/// Server's own enumeration ([`ProductDetailType`]), `DATA_MANAGER_STORAGE_SUBSCRIPTION` or
/// `DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION`. A string works where it is taken as well.
pub type ProductType = ProductDetailType;

/// The flavour of a project-tier product (`EVALUATION`, `BRONZE`, `SILVER`, `GOLD`), for
/// [`CreateProductOptions::flavour`](super::CreateProductOptions::flavour):
/// `ProductFlavour::Bronze.into()`.
pub type ProductFlavour = ProductDetailFlavour;

/// What [`create_product`](super::create_product) accepts as a product type: a
/// [`ProductType`] or its name (`&str`, `&String`).
// No impl for `String`, so `&name` at a call site is not a needless borrow.
pub trait AsProductType {
    /// The type's name, as sent.
    fn product_type_name(&self) -> &str;
}

impl AsProductType for &str {
    fn product_type_name(&self) -> &str {
        self
    }
}

impl AsProductType for &String {
    fn product_type_name(&self) -> &str {
        self
    }
}

impl AsProductType for ProductType {
    fn product_type_name(&self) -> &str {
        self.as_str()
    }
}

impl AsProductType for &ProductType {
    fn product_type_name(&self) -> &str {
        self.as_str()
    }
}

/// The format of event-stream messages and of action records (Python's `EventStreamFormat`).
///
/// Sent as its Python name, `JSON_STRING` or `PROTOCOL_STRING`. The default is
/// `PROTOCOL_STRING`, the Account Server's own default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EventStreamFormat {
    /// `JSON_STRING`: each message is a JSON text.
    JsonString,
    /// `PROTOCOL_STRING`: each message is a protocol-buffer text string.
    #[default]
    ProtocolString,
}

impl EventStreamFormat {
    /// The Python name, as sent: `JSON_STRING` or `PROTOCOL_STRING`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EventStreamFormat::JsonString => "JSON_STRING",
            EventStreamFormat::ProtocolString => "PROTOCOL_STRING",
        }
    }
}

/// The scope of an asset (Python's `ScopeEnum`): who it belongs to.
///
/// Sent as its Python name: `USER`, `PRODUCT`, `UNIT`, `ORGANISATION` or `GLOBAL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeEnum {
    /// `USER`: one user's asset (`scope_id` is the username).
    User,
    /// `PRODUCT`: a product's asset (`scope_id` is the product id).
    Product,
    /// `UNIT`: a unit's asset (`scope_id` is the unit id).
    Unit,
    /// `ORGANISATION`: an organisation's asset (`scope_id` is the organisation id).
    Organisation,
    /// `GLOBAL`: available to everyone (no `scope_id`).
    Global,
}

impl ScopeEnum {
    /// The Python name, as sent: `USER`, `PRODUCT`, `UNIT`, `ORGANISATION` or `GLOBAL`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ScopeEnum::User => "USER",
            ScopeEnum::Product => "PRODUCT",
            ScopeEnum::Unit => "UNIT",
            ScopeEnum::Organisation => "ORGANISATION",
            ScopeEnum::Global => "GLOBAL",
        }
    }
}

/// Whether new products of a unit or organisation are private (Python's
/// `DefaultProductPrivacyEnum`).
///
/// Sent as its Python name: `ALWAYS_PRIVATE`, `ALWAYS_PUBLIC`, `DEFAULT_PRIVATE` or
/// `DEFAULT_PUBLIC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefaultProductPrivacyEnum {
    /// `ALWAYS_PRIVATE`: products are always private.
    AlwaysPrivate,
    /// `ALWAYS_PUBLIC`: products are always public.
    AlwaysPublic,
    /// `DEFAULT_PRIVATE`: products are private unless made public.
    DefaultPrivate,
    /// `DEFAULT_PUBLIC`: products are public unless made private.
    DefaultPublic,
}

impl DefaultProductPrivacyEnum {
    /// The Python name, as sent: `ALWAYS_PRIVATE`, `ALWAYS_PUBLIC`, `DEFAULT_PRIVATE` or
    /// `DEFAULT_PUBLIC`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            DefaultProductPrivacyEnum::AlwaysPrivate => "ALWAYS_PRIVATE",
            DefaultProductPrivacyEnum::AlwaysPublic => "ALWAYS_PUBLIC",
            DefaultProductPrivacyEnum::DefaultPrivate => "DEFAULT_PRIVATE",
            DefaultProductPrivacyEnum::DefaultPublic => "DEFAULT_PUBLIC",
        }
    }
}

macro_rules! by_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            /// The Python name.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl Param for $t {
            fn render(&self) -> String {
                self.name().to_string()
            }
            fn is_set(&self) -> bool {
                true
            }
        }
    )*};
}
by_name!(EventStreamFormat, ScopeEnum, DefaultProductPrivacyEnum);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_python_names() {
        assert_eq!(EventStreamFormat::default().name(), "PROTOCOL_STRING");
        assert_eq!(EventStreamFormat::JsonString.to_string(), "JSON_STRING");
        assert_eq!(ScopeEnum::Organisation.name(), "ORGANISATION");
        assert_eq!(
            DefaultProductPrivacyEnum::DefaultPublic.render(),
            "DEFAULT_PUBLIC"
        );
        assert_eq!(
            ProductType::DataManagerStorageSubscription.as_ref(),
            "DATA_MANAGER_STORAGE_SUBSCRIPTION"
        );
        assert_eq!(String::from(ProductFlavour::Bronze), "BRONZE");
        assert_eq!(ProductFlavour::from("PLATINUM").as_ref(), "PLATINUM");
    }
}
