pub mod model {}
