-- tests/bench/wrk_page.lua -- wrk: GET /api/v1/threads/{id}/messages?limit=50 (the
-- last page of a thread) of a random one of FOLIO_BENCH_THREAD_COUNT threads with
-- consecutive ids from FOLIO_BENCH_THREAD_FIRST, as FOLIO_BENCH_TOKEN. Run by
-- bench_scale.py.

local token = os.getenv("FOLIO_BENCH_TOKEN")
local first = tonumber(os.getenv("FOLIO_BENCH_THREAD_FIRST"))
local count = tonumber(os.getenv("FOLIO_BENCH_THREAD_COUNT") or "100")
local headers = { ["Authorization"] = "Bearer " .. token }
local nthreads = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("wrk_thread", nthreads)
end

function init(args)
    math.randomseed(os.time() * 1000 + (wrk_thread or 0))
end

function request()
    local id = first + math.random(0, count - 1)
    return wrk.format("GET", "/api/v1/threads/" .. id .. "/messages?limit=50", headers)
end
