-- register.lua - wrk: one donor registration per request, each with its
-- own valid resident ID number (GB 11643 check character), so none is a
-- duplicate: 530502 (保山 隆阳区) + a birth date from 1950 on (adults, no
-- guardian) + a sequence number: 18 million distinct numbers.
-- OAK_BENCH_ID_OFFSET keeps runs apart (run.sh gives each run a million);
-- each wrk thread takes its own half million.
local offset = tonumber(os.getenv("OAK_BENCH_ID_OFFSET") or "0")
local weights = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 }
local checks = "10X98765432"
local base = os.time({ year = 1950, month = 1, day = 1, hour = 12 })
local counter = 0
local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
end

local head = '{"name":"张丽华","id_number":"'
local tail = '","ethnicity":"彝族","mobile":"13987651234","region":"530502",'
   .. '"donation":{"all_organs":false,"organs":["kidneys","corneas"],"body":false},'
   .. '"emergency_contact":{"name":"张建国","relation":"父亲","mobile":"13600001111"},'
   .. '"consents":{"voluntary":true,"informed":true,"revocable":true}}'
local headers = { ["Content-Type"] = "application/json" }

function request()
   local k = offset + (tid or 0) * 500000 + counter
   counter = counter + 1
   local id = "530502" .. os.date("!%Y%m%d", base + (k % 18000) * 86400)
      .. string.format("%03d", math.floor(k / 18000) % 1000)
   local s = 0
   for i = 1, 17 do
      s = s + tonumber(id:sub(i, i)) * weights[i]
   end
   id = id .. checks:sub(s % 11 + 1, s % 11 + 1)
   return wrk.format("POST", nil, headers, head .. id .. tail)
end
