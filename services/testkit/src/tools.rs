//! The load tools the benchmarks drive, so that their figures come from tools users know
//! and can run themselves: `wrk` for HTTP and `ghz` for gRPC, `h2load` for either with
//! one client (`make deps` installs all three), and `oha` for HTTP at a fixed rate
//! (`make bench` installs it).
//! Each runs as a process against a server on this machine, after a warm-up run of its
//! own, and its report is read into the benchmarks' [`Stats`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::load::Stats;

/// How long the unmeasured warm-up run lasts.
const WARM_UP: Duration = Duration::from_secs(1);

/// `wrk` GETting `url` from `connections` connections (each keeps one request in flight)
/// on two threads (one for one connection) for `duration`.
pub fn wrk(url: &str, connections: usize, duration: Duration) -> Result<Stats> {
    wrk_with(url, &[], connections, duration)
}

/// [`wrk`] POSTing the JSON `body` to `url` instead (through a wrk script, the way wrk
/// sends anything but a GET).
pub fn wrk_post_json(
    url: &str,
    body: &str,
    connections: usize,
    duration: Duration,
) -> Result<Stats> {
    anyhow::ensure!(!body.contains("]]"), "the body cannot be a Lua long string");
    let script = tempfile::Builder::new().suffix(".lua").tempfile()?;
    std::fs::write(
        script.path(),
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{body}]]\n"
        ),
    )?;
    let path = script.path().display().to_string();
    wrk_with(url, &["-s".to_owned(), path], connections, duration)
}

fn wrk_with(url: &str, extra: &[String], connections: usize, duration: Duration) -> Result<Stats> {
    let run = warmed_up("wrk", duration, |duration| {
        // wrk needs a connection per thread.
        let mut args = vec![
            format!("-t{}", connections.clamp(1, 2)),
            format!("-c{connections}"),
            format!("-d{}s", duration.as_secs().max(1)),
            "--latency".to_owned(),
        ];
        args.extend_from_slice(extra);
        args.push(url.to_owned());
        args
    })?;
    let stats = read_wrk(&String::from_utf8_lossy(&run.report))?;
    Ok(with_cpu(stats, run.cpu))
}

/// A tool's report (its standard output) and the CPU this process spent while it ran.
struct Run {
    report: Vec<u8>,
    cpu: Duration,
}

/// Runs `tool` with the arguments `args` gives for a run of a given length: first for the
/// warm-up, then for `duration`; answers the second run.
fn warmed_up(
    tool: &str,
    duration: Duration,
    args: impl Fn(Duration) -> Vec<String>,
) -> Result<Run> {
    let run = |duration: Duration| -> Result<Vec<u8>> {
        let output = Command::new(crate::tool(tool)?)
            .args(args(duration))
            .output()
            .with_context(|| format!("running {tool}"))?;
        anyhow::ensure!(
            output.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(output.stdout)
    };
    run(WARM_UP)?;
    let before = crate::load::process_cpu()?;
    let report = run(duration)?;
    let cpu = crate::load::process_cpu()? - before;
    Ok(Run { report, cpu })
}

fn with_cpu(stats: Stats, cpu: Duration) -> Stats {
    Stats {
        server_cpu: Some(cpu),
        ..stats
    }
}

/// The figures of a `wrk --latency` report.
fn read_wrk(report: &str) -> Result<Stats> {
    let field = |prefix: &str| {
        report
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
    };
    let requests: usize = report
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .and_then(|(count, _)| count.parse().ok())
        .with_context(|| format!("no request count in {report}"))?;
    let per_second: f64 = field("Requests/sec:")
        .and_then(|rate| rate.parse().ok())
        .with_context(|| format!("no rate in {report}"))?;
    let latency = |percent: &str| -> Result<Duration> {
        let value = field(percent).with_context(|| format!("no {percent} latency in {report}"))?;
        wrk_duration(value)
    };
    // Answers other than 2xx and 3xx, and sockets that failed, are errors.
    let non_2xx: usize = field("Non-2xx or 3xx responses:")
        .and_then(|count| count.parse().ok())
        .unwrap_or(0);
    let socket_errors: usize = field("Socket errors:").map_or(0, |errors| {
        errors
            .split(',')
            .filter_map(|part| part.split_whitespace().last()?.parse::<usize>().ok())
            .sum()
    });
    Ok(Stats {
        requests,
        errors: non_2xx + socket_errors,
        elapsed: Duration::from_secs_f64(requests as f64 / per_second),
        p50: latency("50%")?,
        p99: latency("99%")?,
        server_cpu: None,
    })
}

/// A wrk (or h2load) duration: `812.00us`, `1.52ms`, `2.01s`.
fn wrk_duration(value: &str) -> Result<Duration> {
    let split = value
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("no unit in {value:?}"))?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .with_context(|| format!("not a number: {value:?}"))?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        other => bail!("unknown unit {other:?} in {value:?}"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// An HTTP request for [`oha`] and [`oha_at_rate`]: each request goes to a URL drawn from the regular
/// expression `url_pattern` (a plain URL with each dot written `[.]` is one URL: oha
/// drops the backslash of `\.`), with `body` as JSON.
#[derive(Debug, Clone)]
pub struct HttpCall {
    pub method: &'static str,
    pub url_pattern: String,
    pub body: Option<String>,
}

/// `oha` sending `call` at `rate` requests a second from up to `connections` connections
/// for `duration`: open loop, each request's latency counted from when it was due
/// (`--latency-correction`), so a server that falls behind shows it in the latencies
/// rather than in a lower rate.
pub fn oha_at_rate(
    call: &HttpCall,
    rate: u32,
    connections: usize,
    duration: Duration,
) -> Result<Stats> {
    oha_with(call, Some(rate), connections, duration)
}

/// `oha` sending `call` from `connections` connections, each with one request in flight,
/// as fast as the answers come, for `duration` (closed loop, as wrk).
pub fn oha(call: &HttpCall, connections: usize, duration: Duration) -> Result<Stats> {
    oha_with(call, None, connections, duration)
}

fn oha_with(
    call: &HttpCall,
    rate: Option<u32>,
    connections: usize,
    duration: Duration,
) -> Result<Stats> {
    let run = warmed_up("oha", duration, |duration| {
        let mut args: Vec<String> = ["--no-tui", "--output-format", "json"]
            .map(str::to_owned)
            .into();
        if let Some(rate) = rate {
            args.extend([
                "--latency-correction".to_owned(),
                "-q".to_owned(),
                rate.to_string(),
            ]);
        }
        args.extend(["-c".to_owned(), connections.to_string()]);
        args.extend(["-z".to_owned(), format!("{}ms", duration.as_millis())]);
        args.extend(["-m".to_owned(), call.method.to_owned()]);
        if let Some(body) = &call.body {
            args.extend(["-T", "application/json", "-d", body].map(str::to_owned));
        }
        args.push("--rand-regex-url".to_owned());
        args.push(call.url_pattern.clone());
        args
    })?;
    Ok(with_cpu(read_oha(&run.report)?, run.cpu))
}

/// The figures of an `oha --output-format json` report.
fn read_oha(report: &[u8]) -> Result<Stats> {
    let report: serde_json::Value = serde_json::from_slice(report).context("oha's report")?;
    let seconds = |value: &serde_json::Value, name: &str| {
        value
            .as_f64()
            .map(Duration::from_secs_f64)
            .with_context(|| format!("no {name} in oha's report"))
    };
    let count = |distribution: &serde_json::Value, keep: &dyn Fn(&str) -> bool| -> usize {
        distribution.as_object().map_or(0, |counts| {
            counts
                .iter()
                .filter(|(key, _)| keep(key))
                .map(|(_, count)| count.as_u64().unwrap_or(0) as usize)
                .sum()
        })
    };
    let statuses = &report["statusCodeDistribution"];
    for (what, counts) in [
        ("status", statuses),
        ("error", &report["errorDistribution"]),
    ] {
        for (key, number) in counts.as_object().into_iter().flatten() {
            if what == "error" || !key.starts_with('2') {
                println!("  (oha: {number} × {what} {key})");
            }
        }
    }
    let answered = count(statuses, &|_| true);
    let refused = count(statuses, &|status| !status.starts_with('2'));
    // oha ends a timed run by dropping the requests still in flight: not the server's errors.
    let failed = count(&report["errorDistribution"], &|error| {
        error != "aborted due to deadline"
    });
    Ok(Stats {
        requests: answered,
        errors: refused + failed,
        elapsed: seconds(&report["summary"]["total"], "total")?,
        p50: seconds(&report["latencyPercentiles"]["p50"], "p50")?,
        p99: seconds(&report["latencyPercentiles"]["p99"], "p99")?,
        server_cpu: None,
    })
}

/// A request for [`h2load`], the same every time: a GET of `url`, or a POST of `body`
/// with `headers`. `answer_bytes`: the size of every good answer's body, when they
/// are all one size; an answer with a body of another size counts as an error (a gRPC
/// error comes as HTTP 200 with no body: its status is in the trailers, which h2load
/// does not read).
#[derive(Debug, Clone)]
pub struct H2Call {
    pub url: String,
    pub body: Option<Vec<u8>>,
    pub headers: Vec<String>,
    pub http1: bool,
    pub answer_bytes: Option<u64>,
}

/// `h2load` (nghttp2's load tool) sending `call` from one thread over `connections`
/// connections, `streams` requests in flight on each (HTTP/1.1 keeps one), for
/// `duration`. One client for REST over HTTP/1.1 and gRPC over HTTP/2, so the two
/// protocols can be compared with the same client work.
pub fn h2load(
    call: &H2Call,
    connections: usize,
    streams: usize,
    duration: Duration,
) -> Result<Stats> {
    // h2load appends to its log: the warm-up run and the measured one each get their own.
    let logs = [
        tempfile::NamedTempFile::new()?,
        tempfile::NamedTempFile::new()?,
    ];
    let runs = std::cell::Cell::new(0);
    // h2load reads a body from a file.
    let body = match &call.body {
        Some(bytes) => {
            let file = tempfile::NamedTempFile::new()?;
            std::fs::write(file.path(), bytes)?;
            Some(file)
        }
        None => None,
    };
    let run = warmed_up("h2load", duration, |duration| {
        let log = &logs[runs.replace(runs.get() + 1).min(1)];
        let mut args = vec![
            "-t1".to_owned(),
            format!("-c{connections}"),
            format!("-m{streams}"),
            format!("-D{}", duration.as_secs().max(1)),
            format!("--log-file={}", log.path().display()),
        ];
        if call.http1 {
            args.push("--h1".to_owned());
        }
        if let Some(body) = &body {
            args.push(format!("--data={}", body.path().display()));
        }
        for header in &call.headers {
            args.push(format!("--header={header}"));
        }
        args.push(call.url.clone());
        args
    })?;
    let log = std::fs::read_to_string(logs[1].path()).context("h2load's log")?;
    let stats = read_h2load(
        &String::from_utf8_lossy(&run.report),
        &log,
        call.answer_bytes,
    )?;
    Ok(with_cpu(stats, run.cpu))
}

/// The figures of an `h2load` run: its report, and its log of every request (start, HTTP
/// status, microseconds), from which the quantiles come.
fn read_h2load(report: &str, log: &str, answer_bytes: Option<u64>) -> Result<Stats> {
    let mut latencies = Vec::new();
    let mut refused = 0;
    for line in log.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [_, status, micros] = fields[..] else {
            bail!("not an h2load log line: {line:?}")
        };
        if !status.starts_with('2') {
            refused += 1;
        }
        latencies.push(Duration::from_micros(micros.parse()?));
    }
    anyhow::ensure!(!latencies.is_empty(), "h2load made no request: {report}");
    latencies.sort_unstable();
    let quantile = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    let elapsed = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("finished in "))
        .and_then(|rest| rest.split(',').next())
        .with_context(|| format!("no duration in {report}"))
        .and_then(|duration| wrk_duration(duration.trim()))?;
    let failed: usize = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("requests: "))
        .and_then(|counts| {
            counts
                .split(", ")
                .filter(|part| part.ends_with(" failed") || part.ends_with(" errored"))
                .map(|part| part.split_whitespace().next()?.parse::<usize>().ok())
                .sum()
        })
        .with_context(|| format!("no request counts in {report}"))?;
    // Answers with a body of another size than every good answer's.
    let misanswered = match answer_bytes {
        Some(size) => {
            let data: u64 = report
                .lines()
                .find_map(|line| line.trim().strip_prefix("traffic: "))
                .and_then(|traffic| traffic.rsplit(", ").next())
                .and_then(|data| data.split_once('(')?.1.split_once(')'))
                .and_then(|(bytes, _)| bytes.parse().ok())
                .with_context(|| format!("no data size in {report}"))?;
            latencies
                .len()
                .saturating_sub(usize::try_from(data / size)?)
        }
        None => 0,
    };
    Ok(Stats {
        requests: latencies.len(),
        errors: refused + failed + misanswered,
        elapsed,
        p50: quantile(0.50),
        p99: quantile(0.99),
        server_cpu: None,
    })
}

/// A unary gRPC call for [`ghz`]: the method (`package.Service/Method`), its request as
/// JSON, and the `.proto` that defines it with the directory its imports are under.
#[derive(Debug, Clone)]
pub struct GrpcCall {
    pub method: String,
    pub request: String,
    pub proto: PathBuf,
    pub import_path: PathBuf,
}

/// `ghz` calling `call` on the server at `addr` from `concurrency` workers over
/// `connections` connections for `duration`.
pub fn ghz(
    addr: SocketAddr,
    call: &GrpcCall,
    concurrency: usize,
    connections: usize,
    duration: Duration,
) -> Result<Stats> {
    let run = warmed_up("ghz", duration, |duration| {
        let mut args: Vec<String> = ["--insecure", "--format", "json", "--proto"]
            .map(str::to_owned)
            .into();
        args.push(call.proto.display().to_string());
        args.push("--import-paths".to_owned());
        args.push(call.import_path.display().to_string());
        args.extend(["--call", &call.method, "-d", &call.request].map(str::to_owned));
        args.extend(["-c".to_owned(), concurrency.to_string()]);
        args.extend(["--connections".to_owned(), connections.to_string()]);
        args.extend(["-z".to_owned(), format!("{}ms", duration.as_millis())]);
        args.push(addr.to_string());
        args
    })?;
    Ok(with_cpu(read_ghz(&run.report)?, run.cpu))
}

/// The figures of a `ghz --format json` report.
fn read_ghz(report: &[u8]) -> Result<Stats> {
    let report: serde_json::Value = serde_json::from_slice(report).context("ghz's report")?;
    let number = |name: &str| {
        report[name]
            .as_f64()
            .with_context(|| format!("no {name} in ghz's report"))
    };
    let requests = number("count")? as usize;
    let per_second = number("rps")?;
    let latency = |percent: u64| -> Result<Duration> {
        let nanos = report["latencyDistribution"]
            .as_array()
            .and_then(|distribution| {
                distribution
                    .iter()
                    .find(|entry| entry["percentage"].as_u64() == Some(percent))
            })
            .and_then(|entry| entry["latency"].as_u64())
            .with_context(|| format!("no p{percent} in ghz's report"))?;
        Ok(Duration::from_nanos(nanos))
    };
    // ghz ends a timed run by closing its own connections, which cuts the calls still in
    // flight (as many as there are callers at most); those are not the server's errors.
    let mut cut = 0;
    let mut errors = Vec::new();
    if let Some(distribution) = report["errorDistribution"].as_object() {
        for (error, count) in distribution {
            let count = count.as_u64().unwrap_or(0) as usize;
            if error.contains("use of closed network connection")
                || error.contains("the client connection is closing")
            {
                cut += count;
            } else {
                errors.push((error.clone(), count));
            }
        }
    }
    for (error, count) in &errors {
        println!("  (ghz: {count} × {error})");
    }
    Ok(Stats {
        requests: requests.saturating_sub(cut),
        errors: errors.iter().map(|(_, count)| count).sum(),
        elapsed: Duration::from_secs_f64(requests as f64 / per_second),
        p50: latency(50)?,
        p99: latency(99)?,
        server_cpu: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrk_report_is_read() {
        let report = "Running 5s test @ http://127.0.0.1:8080/\n  2 threads and 32 connections\n  \
            Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.02ms  412.00us  \
            12.51ms   80.12%\n  Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     \
            90%    1.61ms\n     99%    2.51ms\n  166545 requests in 5.00s, 98.12MB read\n  \
            Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 4\n\
            Requests/sec:  33309.00\nTransfer/sec:     19.62MB\n";
        let stats = read_wrk(report).expect("read");
        assert_eq!(stats.requests, 166_545);
        assert_eq!(stats.errors, 7);
        assert_eq!(stats.p50, Duration::from_micros(812));
        assert_eq!(stats.p99, Duration::from_micros(2510));
        assert!((stats.throughput() - 33_309.0).abs() < 1.0);
    }

    #[test]
    fn an_oha_report_is_read() {
        let report = br#"{"summary": {"successRate": 0.99, "total": 2.0, "requestsPerSec": 500.0},
            "latencyPercentiles": {"p50": 0.0015, "p99": 0.004},
            "statusCodeDistribution": {"200": 995, "503": 3},
            "errorDistribution": {"connection closed before message completed": 2,
                                  "aborted due to deadline": 1}}"#;
        let stats = read_oha(report).expect("read");
        // 998 answered (3 of them refused) and 2 that failed: 5 errors; the one oha cut
        // at the end is none.
        assert_eq!((stats.requests, stats.errors), (998, 5));
        assert_eq!(stats.p50, Duration::from_micros(1500));
        assert_eq!(stats.p99, Duration::from_millis(4));
        assert!((stats.throughput() - 499.0).abs() < 0.01);
    }

    #[test]
    fn an_h2load_run_is_read() {
        let report = "finished in 2.00s, 2.00 req/s, 90B/s\n\
            requests: 5 total, 5 started, 5 done, 4 succeeded, 1 failed, 0 errored, 0 timeout\n\
            status codes: 4 2xx, 0 3xx, 0 4xx, 1 5xx\n\
            traffic: 1.00KB (1024) total, 100B (100) headers (space savings 90.00%), 267B (267) data\n";
        let log = "1.0\t200\t100\n2.0\t200\t300\n3.0\t503\t200\n4.0\t200\t400\n5.0\t200\t5000\n";
        let stats = read_h2load(report, log, Some(89)).expect("read");
        // One 503, one failed, and 267 bytes of data are three 89-byte answers of five.
        assert_eq!((stats.requests, stats.errors), (5, 4));
        assert_eq!(stats.p50, Duration::from_micros(300));
        assert_eq!(stats.p99, Duration::from_millis(5));
        assert!((stats.throughput() - 2.5).abs() < 0.01);
    }

    #[test]
    fn a_ghz_report_is_read() {
        let report = br#"{"count": 1000, "rps": 250.0,
            "latencyDistribution": [{"percentage": 50, "latency": 1500000},
                                    {"percentage": 99, "latency": 4000000}],
            "statusCodeDistribution": {"OK": 995, "Unavailable": 5},
            "errorDistribution": {
                "rpc error: code = Unavailable desc = connection refused": 2,
                "rpc error: code = Unavailable desc = error reading from server: read tcp 127.0.0.1:1->127.0.0.1:2: use of closed network connection": 3}}"#;
        let stats = read_ghz(report).expect("read");
        // The 3 calls ghz cut itself are not counted; the 2 refused are errors.
        assert_eq!((stats.requests, stats.errors), (997, 2));
        assert_eq!(stats.p50, Duration::from_micros(1500));
        assert_eq!(stats.p99, Duration::from_millis(4));
        // 997 answered in the 4 s that 1000 took at 250 a second.
        assert!((stats.throughput() - 249.25).abs() < 0.01);
    }
}
