-- default/registry.validate.lua: the rule every region gets for a donor
-- registration or amendment (器官捐献志愿登记), unless its own folder
-- overrides this file.
--
-- record: age, gender ("male"/"female"), ethnicity (or nil), region (six
--         digits), all_organs, organs (list), body, has_guardian, amending
-- answer: errors (refuse, per field) / actions: require_review, notify
--
-- The server has already checked every field. These rules pick the
-- registrations a coordinator confirms by telephone before relying on them;
-- the registration stays active meanwhile:
--  * a minor registers with a guardian's consent: the coordinator confirms
--    that consent with the guardian in person or by telephone;
--  * at 70 and over the coordinator confirms the wish and explains which
--    donations remain possible (age alone rules out few: corneas, tissue);
--  * body donation (遗体捐献, for medical teaching) under 20: the receiving
--    medical school needs the family's agreement, so it is confirmed early.

local function review_reasons(record)
  local age = record.age or 0
  local reasons = {}
  if record.has_guardian then
    reasons[#reasons + 1] = "未成年人登记，请与监护人确认同意 (minor: confirm the guardian's consent)"
  end
  if age >= 70 then
    reasons[#reasons + 1] = "70岁及以上，请电话确认捐献意愿 (70 or over: confirm the wish)"
  end
  if record.body and age < 20 then
    reasons[#reasons + 1] = "20岁以下登记遗体捐献，请与家属确认 (body donation under 20: confirm with the family)"
  end
  return reasons
end

return function(record)
  local reasons = review_reasons(record)
  if #reasons == 0 then
    return { accept = true }
  end
  return { accept = true, actions = { { type = "require_review", to = "coordinator",
                                        reason = table.concat(reasons, "；") } } }
end
