-- default/registry.after_submit.lua: after a donor registration (or an
-- amendment) is stored, notify the donation coordinators of the record's
-- prefecture (市/州): they call every new volunteer back within 7 days.
-- A county's record goes to its prefecture; a record of a prefecture, or
-- of a district parented directly to a municipality (北京市), to that
-- region itself.
--
-- record: number, age, gender, ethnicity, region, all_organs, organs, body,
--         amending
-- answer: actions: assign, notify, require_review (each one becomes a
--         follow-up in the staff queue)

local function prefecture_of(code)
  local r = oak.region(code)
  if r and r.level == 3 and r.parent and r.parent ~= 0 then
    return string.format("%06d", r.parent)
  end
  return string.format("%06d", code)
end

return function(record)
  local code = tonumber(record.region or "")
  if not code then
    return { accept = true }
  end
  local reason = "新的器官捐献志愿登记，请于7日内电话回访 (new registration: call back within 7 days)"
  if record.amending then
    reason = "登记信息已修改，请核对 (registration amended: please check)"
  end
  return { accept = true, actions = { { type = "notify", to = "coordinator",
                                        region = prefecture_of(code), reason = reason } } }
end
