//! The page's files, compiled into the binary: no CDN, nothing fetched.

pub const INDEX_HTML: &str = include_str!("../../../web/index.html");
pub const APP_JS: &str = include_str!("../../../web/app.js");
pub const PLOT_JS: &str = include_str!("../../../web/plot.js");
pub const STYLE_CSS: &str = include_str!("../../../web/style.css");
