-- post.lua - wrk: send every request as a POST with an empty body (the
-- peers' one-row INSERT).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "{}"
