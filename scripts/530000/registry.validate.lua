-- 530000/registry.validate.lua: 云南省's rule for donor registrations and
-- amendments, used by every prefecture and county of the province that has
-- no rule of its own.
--
-- 云南 is home to 25 ethnic minorities, 15 of them found only here. The
-- provincial centre plans its donation outreach (materials in minority
-- languages, work with community and religious leaders in the autonomous
-- prefectures and counties) from registrations counted by ethnic group,
-- so here ethnicity (民族) is required, where elsewhere it is optional.
-- The default rules (review for minors, 70 and over, body donation under
-- 20) are kept as they are.
--
-- record: age, gender, ethnicity (or nil), region, all_organs, organs, body,
--         has_guardian, amending

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
  if record.ethnicity == nil or record.ethnicity == "" then
    return { errors = { ethnicity = "云南省登记请填写民族，用于各民族地区的捐献宣传统计 (ethnicity is required in 云南)" } }
  end
  local reasons = review_reasons(record)
  if #reasons == 0 then
    return { accept = true }
  end
  return { accept = true, actions = { { type = "require_review", to = "coordinator",
                                        reason = table.concat(reasons, "；") } } }
end
