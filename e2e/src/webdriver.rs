//! Just enough of the W3C WebDriver protocol (<https://www.w3.org/TR/webdriver2/>) to
//! drive a browser through the shop: open pages, find elements by CSS, click, type,
//! read text and properties, resize the window and take screenshots, and read what the
//! browser reported about security (Content-Security-Policy violations).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use serde_json::{Value, json};

/// How WebDriver names an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long to wait for the page to show something before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// An element on the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

/// One browser session.
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    session: String,
}

impl Browser {
    /// Opens a session on the driver at `driver_url` with these capabilities.
    pub async fn start(driver_url: &str, capabilities: Value) -> Result<Self> {
        let http = reqwest::Client::new();
        let answer: Value = http
            .post(format!("{driver_url}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": capabilities } }))
            .send()
            .await?
            .json()
            .await?;
        let session = answer["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("the driver did not open a session: {answer}"))?
            .to_owned();
        Ok(Self {
            http,
            session: format!("{driver_url}/session/{session}"),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await?.json().await?;
        let value = answer["value"].clone();
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            bail!(
                "{path}: {error}: {}",
                value["message"].as_str().unwrap_or_default()
            );
        }
        Ok(value)
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// What the browser reported about its Content-Security-Policy since the last call:
    /// every violation. Needs the `goog:loggingPrefs`
    /// capability (chromedriver's log endpoint; W3C WebDriver has none).
    pub async fn security_reports(&self) -> Result<Vec<String>> {
        let entries = self.post("/se/log", json!({ "type": "browser" })).await?;
        Ok(entries
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                let source = entry["source"].as_str().unwrap_or_default();
                (source, entry["message"].as_str().unwrap_or_default())
            })
            // A refused script evaluation is reported as a JavaScript error.
            .filter(|(source, message)| {
                *source == "security" || message.contains("Content Security Policy")
            })
            .map(|(_, message)| message.to_owned())
            .collect())
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    pub async fn url(&self) -> Result<String> {
        Ok(self
            .get("/url")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub async fn title(&self) -> Result<String> {
        Ok(self
            .get("/title")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Every element matching `css` right now.
    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let found = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        Ok(found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|element| element[ELEMENT_KEY].as_str())
            .map(|id| Element(id.to_owned()))
            .collect())
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Result<Element> {
        testkit::poll_until(&format!("an element matching {css:?}"), WAIT, || async {
            self.find_all(css)
                .await?
                .into_iter()
                .next()
                .context("not on the page yet")
        })
        .await
    }

    /// The first element matching `css` whose text satisfies `check`, waiting for it.
    pub async fn find_text(
        &self,
        css: &str,
        what: &str,
        check: impl Fn(&str) -> bool,
    ) -> Result<Element> {
        let check = &check;
        testkit::poll_until(&format!("{css:?} showing {what}"), WAIT, || async move {
            let mut seen = Vec::new();
            for element in self.find_all(css).await? {
                let text = self.text(&element).await?;
                if check(&text) {
                    return Ok(element);
                }
                seen.push(text);
            }
            bail!("seen {seen:?}")
        })
        .await
    }

    /// Waits until nothing matches `css`.
    pub async fn gone(&self, css: &str) -> Result<()> {
        testkit::poll_until(&format!("{css:?} to go"), WAIT, || async {
            let left = self.find_all(css).await?.len();
            anyhow::ensure!(left == 0, "{left} still there");
            Ok(())
        })
        .await
    }

    pub async fn click(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await
            .map(drop)
    }

    /// Finds (waiting) and clicks.
    pub async fn click_on(&self, css: &str) -> Result<()> {
        let element = self.find(css).await?;
        self.click(&element).await
    }

    pub async fn clear(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/clear", element.0), json!({}))
            .await
            .map(drop)
    }

    pub async fn type_into(&self, element: &Element, text: &str) -> Result<()> {
        self.post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await
        .map(drop)
    }

    pub async fn text(&self, element: &Element) -> Result<String> {
        Ok(self
            .get(&format!("/element/{}/text", element.0))
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub async fn property(&self, element: &Element, name: &str) -> Result<Value> {
        self.get(&format!("/element/{}/property/{name}", element.0))
            .await
    }

    pub async fn enabled(&self, element: &Element) -> Result<bool> {
        Ok(self
            .get(&format!("/element/{}/enabled", element.0))
            .await?
            .as_bool()
            .unwrap_or(false))
    }

    /// Runs a script in the page and returns what it returns.
    pub async fn execute(&self, script: &str) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
            .await
    }

    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await
            .map(drop)
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let data = self.get("/screenshot").await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().context("no screenshot data")?)?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Ends the session and closes the browser.
    pub async fn quit(self) -> Result<()> {
        self.call(reqwest::Method::DELETE, "", None).await.map(drop)
    }
}
