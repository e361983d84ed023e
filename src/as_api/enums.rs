//! The enumerations of the Python client's `squonk2.enumerations`, sent by their Python name.

use std::fmt;

use crate::request::Param;

use super::models::{
    AssetScope, DefaultProductPrivacy, ProductDetailFlavour, ProductSubscriptionType,
};

/// The type of a product, for [`create_product`](super::create_product): the Account
/// Server's own enumeration ([`ProductSubscriptionType`], officially `ProductDetailType`),
/// `DATA_MANAGER_STORAGE_SUBSCRIPTION` or `DATA_MANAGER_PROJECT_TIER_SUBSCRIPTION`. A string
/// works where it is taken as well.
pub type ProductType = ProductSubscriptionType;

/// The flavour of a project-tier product (`EVALUATION`, `BRONZE`, `SILVER`, `GOLD`), for
/// [`CreateProductOptions::flavour`](super::CreateProductOptions::flavour):
/// `ProductFlavour::Bronze.into()`.
pub type ProductFlavour = ProductDetailFlavour;

/// What [`create_product`](super::create_product) accepts as a product type: a
/// [`ProductType`] or its name (`&str`, `&String`).
// No impl for `String`, so `&name` at a call site is not a needless borrow. Sealed: only this
// crate implements it.
pub trait AsProductType: crate::sealed::Sealed {
    /// The type's name, as sent.
    fn product_type_name(&self) -> &str;
}

impl crate::sealed::Sealed for &str {}
impl crate::sealed::Sealed for &String {}
impl crate::sealed::Sealed for ProductType {}
impl crate::sealed::Sealed for &ProductType {}

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
    pub fn as_str(self) -> &'static str {
        match self {
            EventStreamFormat::JsonString => "JSON_STRING",
            EventStreamFormat::ProtocolString => "PROTOCOL_STRING",
        }
    }
}

/// The scope of an asset or workflow (Python's `ScopeEnum`): who it belongs to. The same
/// type as the Account Server's own enumeration, [`AssetScope`].
///
/// Sent as its Python name: `USER` (`scope_id` is the username), `PRODUCT` (the product id),
/// `UNIT` (the unit id), `ORGANISATION` (the organisation id) or `GLOBAL` (no `scope_id`).
pub type ScopeEnum = AssetScope;

/// Whether new products of a unit or organisation are private (Python's
/// `DefaultProductPrivacyEnum`). The same type as the Account Server's own enumeration,
/// [`DefaultProductPrivacy`].
///
/// Sent as its Python name: `ALWAYS_PRIVATE`, `ALWAYS_PUBLIC`, `DEFAULT_PRIVATE` or
/// `DEFAULT_PUBLIC`.
pub type DefaultProductPrivacyEnum = DefaultProductPrivacy;

/// The enumerations the functions take are sent as their `as_str()`, which is the Python
/// name.
macro_rules! python_enum {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn render(&self) -> String {
                self.as_str().to_string()
            }
            fn is_set(&self) -> bool {
                true
            }
        }
    )*};
}
python_enum!(AssetScope, DefaultProductPrivacy, EventStreamFormat);

impl fmt::Display for EventStreamFormat {
    /// The Python name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_python_names() {
        assert_eq!(EventStreamFormat::default().as_str(), "PROTOCOL_STRING");
        assert_eq!(EventStreamFormat::JsonString.to_string(), "JSON_STRING");
        assert_eq!(ScopeEnum::Organisation.as_str(), "ORGANISATION");
        assert_eq!(ScopeEnum::Global.render(), "GLOBAL");
        assert_eq!(ScopeEnum::from("USER"), ScopeEnum::User);
        assert_eq!(
            DefaultProductPrivacyEnum::DefaultPublic.render(),
            "DEFAULT_PUBLIC"
        );
        assert_eq!(
            DefaultProductPrivacyEnum::AlwaysPrivate.to_string(),
            "ALWAYS_PRIVATE"
        );
        assert_eq!(
            ProductType::DataManagerStorageSubscription.as_ref(),
            "DATA_MANAGER_STORAGE_SUBSCRIPTION"
        );
        assert_eq!(String::from(ProductFlavour::Bronze), "BRONZE");
        assert_eq!(ProductFlavour::from("PLATINUM").as_ref(), "PLATINUM");
    }
}
