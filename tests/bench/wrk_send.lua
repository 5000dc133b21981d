-- tests/bench/wrk_send.lua -- wrk: POST /api/v1/threads/{id}/messages into a random
-- one of FOLIO_BENCH_THREAD_COUNT threads with consecutive ids from
-- FOLIO_BENCH_THREAD_FIRST, as FOLIO_BENCH_TOKEN, with a fresh client_msg_id as
-- the terminal client sends it. FOLIO_BENCH_INTERNAL=1: internal notes (no mail).
-- FOLIO_BENCH_TAG makes the client_msg_ids of one run unique. Run by bench_scale.py.

local token = os.getenv("FOLIO_BENCH_TOKEN")
local first = tonumber(os.getenv("FOLIO_BENCH_THREAD_FIRST"))
local count = tonumber(os.getenv("FOLIO_BENCH_THREAD_COUNT") or "100")
local internal = os.getenv("FOLIO_BENCH_INTERNAL") == "1" and "true" or "false"
local tag = os.getenv("FOLIO_BENCH_TAG") or tostring(os.time())
-- About 200 bytes of Markdown, as a short message to a client is.
local text = "Hello, here are the **receipts** for this month and the bank statements."
    .. " Please check the VAT numbers first; the invoices and the payroll follow"
    .. " next week. Thank you and kind regards! Message"
local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
}
local nthreads = 0
local n = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("wrk_thread", nthreads)
end

function init(args)
    math.randomseed(os.time() * 1000 + (wrk_thread or 0))
end

function request()
    n = n + 1
    local id = first + math.random(0, count - 1)
    local cmid = string.format("%s-%d-%d", tag, wrk_thread or 0, n)
    local body = string.format('{"body":"%s %d","internal":%s,"client_msg_id":"%s"}',
        text, n, internal, cmid)
    return wrk.format("POST", "/api/v1/threads/" .. id .. "/messages", headers, body)
end
