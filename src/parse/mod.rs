//! One module per file format. Each returns a typed value with 1-based lines, or errors with
//! lines; none of them panics on any input, and none executes anything.

pub mod compose;
#[path = "dockerfile_parser.rs"]
pub mod dockerfile;
#[path = "dockerignore_parser.rs"]
pub mod dockerignore;
#[path = "env_file_parser.rs"]
pub mod env_file;
pub mod next_config;
#[path = "package_json_parser.rs"]
pub mod package_json;
pub mod platform;
#[path = "prisma_parser.rs"]
pub mod prisma;
pub mod source;
pub mod yaml;
