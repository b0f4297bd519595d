-- SPDX-License-Identifier: Apache-2.0
-- wrk script of bench/api-issue.sh and bench/cluster.sh: POST the file
-- $BENCH_BODY with Content-Type $BENCH_CTYPE (default application/json)
-- and Authorization $BENCH_AUTH (if set); count 2xx and other answers.
-- Prints "STATUS OK BAD FIRST_BAD SOCKET_ERRORS DURATION_S P50_MS".
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CTYPE") or "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; bad = 0; first_bad = 0 end
function response(status, headers, body)
	if status >= 200 and status < 300 then
		ok = ok + 1
	else
		bad = bad + 1
		if first_bad == 0 then first_bad = status end
	end
end
function done(summary, latency, requests)
	local o, b, fb = 0, 0, 0
	for _, t in ipairs(threads) do
		o = o + t:get("ok")
		b = b + t:get("bad")
		if t:get("first_bad") ~= 0 then fb = t:get("first_bad") end
	end
	io.write(string.format("STATUS %d %d %d %d %.6f %.3f\n", o, b, fb,
	    summary.errors.connect + summary.errors.read +
	    summary.errors.write + summary.errors.timeout,
	    summary.duration / 1e6, latency:percentile(50) / 1000))
end
