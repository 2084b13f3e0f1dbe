-- 530000/example.validate.lua: 云南省's rule for new greetings, used for
-- every prefecture and county of the province that has no rule of its own.
-- It keeps the default checks and adds: tidy spacing, ask a coordinator to
-- follow up on messages about donation, and hold very short names for review.

local wording = require("wording")

return function(record)
  if record.message:find("http", 1, true) then
    return { errors = { message = "留言中不能包含网址 (no links, please)" } }
  end
  local answer = { accept = true, actions = {} }
  local tidy = wording.tidy(record.message)
  if tidy ~= record.message then
    answer.changes = { message = tidy }
  end
  if wording.mentions_donation(record.message) then
    answer.actions[#answer.actions + 1] = { type = "notify", to = "coordinator", region = record.region or "530000" }
  end
  if record.name_length < 2 or record.message_length > 100 then
    answer.actions[#answer.actions + 1] = { type = "require_review" }
  end
  return answer
end
