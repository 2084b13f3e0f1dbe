-- 530000/registry_test.lua: 云南省's donor registration cases; records are
-- for 530000 unless a test names a prefecture or county.

-- EXTRA overrides fields; WITHOUT names one to leave out
local function record(extra, without)
  local r = { age = 35, gender = "male", ethnicity = "彝族", region = "532301", all_organs = false,
              organs = { "kidneys", "corneas" }, body = false, has_guardian = false, amending = false }
  for k, v in pairs(extra or {}) do r[k] = v end
  if without then r[without] = nil end
  return r
end

test("云南 requires ethnicity, with a message on the field", function()
  local a = hook("registry.validate", record({}, "ethnicity"), 532301)
  expect_eq(a.accept, false, "refused")
  expect(a.errors.ethnicity:find("民族", 1, true) ~= nil, "the message names 民族")
  expect_eq(a.script, "530000/registry.validate.lua", "楚雄市 falls back to the province")
end)

test("with ethnicity a registration is accepted", function()
  local a = hook("registry.validate", record(), 530502)
  expect_eq(a.accept, true, "accept")
  expect_eq(#a.actions, 0, "no review")
end)

test("the default review rules are kept", function()
  local a = hook("registry.validate", record({ age = 81 }))
  expect_eq(a.actions[1].type, "require_review", "81 is reviewed")
  a = hook("registry.validate", record({ age = 15, has_guardian = true }))
  expect_eq(a.actions[1].type, "require_review", "a minor is reviewed")
end)

test("after submit falls back to the default: 楚雄市 notifies 楚雄彝族自治州", function()
  local a = hook("registry.after_submit", { number = "D532301-7KQ2M9XA", age = 30, gender = "male",
                 ethnicity = "彝族", region = "532301", all_organs = true, organs = {}, body = false,
                 amending = false }, 532301)
  expect_eq(a.script, "default/registry.after_submit.lua", "default rule")
  expect_eq(a.actions[1].region, "532300", "楚雄州")
end)
