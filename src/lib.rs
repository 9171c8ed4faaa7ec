//! deploy-audit: a static analyzer that tells, before a deploy, whether a repository is ready for
//! the platform it is deployed to and exactly what will break there.
//!
//! Flow: discover → parse → model → checks → packs → verdict (engine) → render.
//! Nothing from the scanned repository is ever executed.

pub mod baseline;

pub mod catalog;
pub mod checks;
pub mod cli;
pub mod config;
pub mod discover;
pub mod engine;
pub mod hints;
pub mod model;
pub mod observe;
pub mod packs;
pub mod parse;
pub mod pool;
pub mod render;
pub mod report;
pub mod suppress;
pub mod text;
pub mod timing;
