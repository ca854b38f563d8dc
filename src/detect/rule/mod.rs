//! The rule language: lexing a rule's text, its header (action, protocol,
//! addresses, ports, direction) and variables; [`parse::parse_rule`] turns
//! text into a [`crate::detect::signature::Signature`] through the keyword
//! registry.

pub mod address;
pub mod group;
pub mod lexer;
pub mod parse;
pub mod port;
pub mod ranges;
pub mod vars;
