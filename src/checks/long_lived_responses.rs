use super::{deployable_apps, Check, Rule};
use crate::model::Model;
use crate::observe::Observation;
use crate::report::Aspect;

pub static RULE: Rule = Rule {
    id: "long-lived-responses",
    aspect: Aspect::Networking,
    title: "Server-Sent Events or other long-lived responses",
    doc: DOC,
    check: Check::Repo(run),
};

const DOC: &str = r#"## What it does
Finds server code that answers with `text/event-stream` (Server-Sent Events): the value of a
`Content-Type` header (`{ 'Content-Type': 'text/event-stream' }`, `setHeader('Content-Type', …)`,
`res.type(…)`). A request's `Accept: text/event-stream` (code consuming another service's stream)
is not an answer.

## Why it matters
An SSE connection stays open as long as the client listens. Platform proxies close idle or
over-long requests, scale-to-zero cannot put an instance with open streams to sleep, and events
published in one instance never reach clients connected to another.

## Example
```ts
return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });
```

## Fix
Send a heartbeat comment every 15–30 s, let the client reconnect (`EventSource` does), and fan out
through Redis pub/sub or a managed realtime service when running more than one instance.

## References
- https://www.koyeb.com/docs/reference/edge-network
- https://developer.mozilla.org/en-US/docs/Web/API/Server-sent_events/Using_server-sent_events
"#;

fn run(model: &Model) -> Vec<Observation> {
    let mut out = Vec::new();
    for app in deployable_apps(model) {
        for s in app.sources.iter().filter(|s| s.runtime) {
            if let Some(&line) = s.facts.sse.first() {
                out.push(
                    Observation::at(
                        RULE.id,
                        &s.rel,
                        line,
                        "this server code streams Server-Sent Events, a response that stays open as long as the client listens",
                    )
                    .key(s.rel.clone()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::checks::testing::{koyeb, NEXT_PKG};

    #[test]
    fn sse_route_is_noted() {
        let src = "export function GET() {\n  return new Response('', { headers: { 'Content-Type': 'text/event-stream' } });\n}\n";
        let obs = koyeb("long-lived-responses", &[("package.json", NEXT_PKG), ("app/api/stream/route.ts", src)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(2));
    }

    #[test]
    fn json_route_stays_silent() {
        let src = "export function GET() { return Response.json({}) }\n";
        assert!(koyeb("long-lived-responses", &[("package.json", NEXT_PKG), ("app/api/x/route.ts", src)]).is_empty());
    }

    #[test]
    fn clients_asking_for_event_streams_and_content_type_tables_stay_silent() {
        // A server-side client consuming someone else's stream, an MCP client's Accept list and a
        // table of content types name the media type without answering with it.
        let client = "export async function GET() {\n  const r = await fetch(u, { headers: { Accept: 'text/event-stream' } });\n  const h = { Accept: 'application/json, text/event-stream' };\n  const types = { sse: 'text/event-stream' };\n  if (matchContentType(r, 'text/event-stream')) log(types, h);\n  return Response.json({});\n}\n";
        assert!(koyeb("long-lived-responses", &[("package.json", NEXT_PKG), ("app/api/x/route.ts", client)]).is_empty());
        // The server answering with it fires, whichever way it sets the header.
        let set = "import http from 'http';\nhttp.createServer((req, res) => {\n  res.setHeader('Content-Type', 'text/event-stream');\n  res.write('data: 1\\n\\n');\n}).listen(process.env.PORT);\n";
        let obs = koyeb("long-lived-responses", &[("package.json", NEXT_PKG), ("app/api/x/route.ts", set)]);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].line, Some(3));
        let head = "export function GET() {\n  const headers = new Headers({ 'content-type': `text/event-stream; charset=utf-8` });\n  return new Response(s, { headers });\n}\n";
        assert_eq!(
            koyeb("long-lived-responses", &[("package.json", NEXT_PKG), ("app/api/y/route.ts", head)]).len(),
            1
        );
    }
}
