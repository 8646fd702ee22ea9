//! Which HTTP redirects a client follows.

use reqwest::Url;
use reqwest::redirect::Policy;

/// Which HTTP redirects a [`Client`](crate::Client) follows; set with
/// [`ClientBuilder::redirects`](crate::ClientBuilder::redirects).
///
/// The default is [`Redirects::SameOrigin`] with at most 10 hops. Following only within the origin
/// of the step's request keeps its headers, query parameters and cookies, [`Secret`](crate::Secret)s
/// included, at the origin they were meant for.
///
/// A redirect that is not followed is not an error by itself: the 3xx response is the step's
/// response, so the document's criteria and actions see it. When they fail, the error names the
/// `Location` that was not followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Redirects {
    /// Follow no redirect.
    None,
    /// Follow at most `max` redirects in a row, each only to the scheme, host and port of the
    /// step's request (so never from https to http).
    SameOrigin {
        /// The most redirects followed for one request.
        max: usize,
    },
}

impl Default for Redirects {
    fn default() -> Self {
        Redirects::SameOrigin { max: 10 }
    }
}

impl Redirects {
    pub(crate) fn policy(self) -> Policy {
        match self {
            Redirects::None => Policy::none(),
            Redirects::SameOrigin { max } => {
                // `stop` hands the 3xx to the step; reqwest's `error` would hide it.
                Policy::custom(
                    move |a| if follows(max, a.previous(), a.url()) { a.follow() } else { a.stop() },
                )
            }
        }
    }
}

/// Whether a same-origin policy with `max` hops follows a redirect to `next`. `previous` holds the
/// step's request URL first, then every URL already redirected to.
fn follows(max: usize, previous: &[Url], next: &Url) -> bool {
    previous.len() <= max && previous.first().is_some_and(|first| first.origin() == next.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn only_the_same_origin_is_followed() {
        let start = [url("https://api.example.com/v1/a?k=1")];
        let same = |next| follows(10, &start, &url(next));
        assert!(same("https://api.example.com/v1/b"));
        assert!(same("https://api.example.com:443/other?x=2"));
        assert!(!same("http://api.example.com/v1/b"), "https to http");
        assert!(!same("https://api.example.com:8443/v1/b"), "another port");
        assert!(!same("https://other.example.com/v1/b"), "another host");
        assert!(!same("https://example.com/v1/b"), "a parent domain");
        let plain = [url("http://127.0.0.1:8080/")];
        assert!(!follows(10, &plain, &url("http://localhost:8080/")), "same address, another host name");
        assert!(!follows(10, &plain, &url("https://127.0.0.1:8080/")));
    }

    #[test]
    fn the_hop_count_is_bounded() {
        let chain: Vec<Url> = (0..3).map(|i| url(&format!("http://h/{i}"))).collect();
        assert!(follows(3, &chain, &url("http://h/3")), "the third redirect");
        assert!(!follows(2, &chain, &url("http://h/3")));
        assert!(!follows(0, &chain[..1], &url("http://h/1")));
    }
}
