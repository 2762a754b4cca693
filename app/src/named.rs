//! Enums that are stored and sent as words (`"in_progress"`, `"admin"`). One
//! declaration gives each variant its word and label, serde, the OpenAPI schema and the
//! database column type, so the word is written once and a stored word that names no
//! variant fails the read with an error instead of turning into a default.

use std::fmt;

/// A word that names no variant of an enum (a stored value or a query parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub kind: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a {}", self.word, self.kind)
    }
}

impl std::error::Error for UnknownWord {}

/// Declares an enum of words (each word a `tt`, not a `literal`: a `literal` fragment
/// reaches derive macros wrapped in an invisible group, which utoipa's reading of
/// `#[serde(rename)]` does not look into, and the schema would name the variants):
///
/// ```text
/// named_enum! {
///     /// Docs and extra derives go here.
///     pub enum Priority {
///         High => "high", "High";
///         Low => "low", "Low";
///     }
/// }
/// ```
///
/// gives `ALL` (in declaration order), `as_str`, `label`, `parse` (forgiving: trims and
/// ignores ASCII case, for input), `FromStr` (exact, for stored words), `Display`, serde
/// as the word, and behind `ssr` a `ToSchema` enum schema and a sea-orm string column
/// type, so entities hold the enum itself.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:tt, $label:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::DeriveValueType))]
        #[cfg_attr(feature = "ssr", sea_orm(value_type = "String"))]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }

            /// Reads a word from input: surrounding space and ASCII case do not matter.
            pub fn parse(value: &str) -> Option<Self> {
                let value = value.trim();
                Self::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(value))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::named::UnknownWord;

            /// Reads a stored word exactly as [`Self::as_str`] writes it.
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::ALL.into_iter().find(|v| v.as_str() == value).ok_or_else(|| {
                    $crate::named::UnknownWord {
                        kind: stringify!($name),
                        word: value.to_owned(),
                    }
                })
            }
        }

        /// Never a generated key; sea-orm asks it of every primary key column.
        #[cfg(feature = "ssr")]
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    named_enum! {
        /// A test enum.
        enum Sample {
            /// The first.
            One => "one", "One";
            TwoWords => "two_words", "Two words";
        }
    }

    #[test]
    fn words_round_trip_and_input_is_forgiving_but_stored_words_are_exact() {
        for v in Sample::ALL {
            assert_eq!(v.as_str().parse::<Sample>(), Ok(v));
            assert_eq!(Sample::parse(v.as_str()), Some(v));
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v}\""));
        }
        assert_eq!(Sample::parse(" Two_Words "), Some(Sample::TwoWords));
        assert_eq!(Sample::TwoWords.label(), "Two words");
        let wrong = "One".parse::<Sample>().unwrap_err();
        assert_eq!(wrong.to_string(), "\"One\" is not a Sample");
        assert_eq!(Sample::parse("three"), None);
        assert!(serde_json::from_str::<Sample>("\"two words\"").is_err());
    }
}
