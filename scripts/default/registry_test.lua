-- default/registry_test.lua: cases for the default donor registration rules.

-- EXTRA overrides fields; WITHOUT names one to leave out
local function adult(extra, without)
  local r = { age = 35, gender = "female", ethnicity = "汉族", region = "110105", all_organs = true,
              organs = {}, body = false, has_guardian = false, amending = false }
  for k, v in pairs(extra or {}) do r[k] = v end
  if without then r[without] = nil end
  return r
end

test("an adult registration is accepted without review", function()
  local a = hook("registry.validate", adult())
  expect_eq(a.accept, true, "accept")
  expect_eq(#a.actions, 0, "no actions")
  expect_eq(a.script, "default/registry.validate.lua", "answered by the default rule")
end)

test("ethnicity is optional outside 云南 (北京市朝阳区)", function()
  local a = hook("registry.validate", adult({}, "ethnicity"), 110105)
  expect_eq(a.accept, true, "accept")
end)

test("a minor with a guardian is accepted and reviewed", function()
  local a = hook("registry.validate", adult({ age = 16, has_guardian = true }))
  expect_eq(a.accept, true, "accept")
  expect_eq(a.actions[1].type, "require_review", "review")
  expect(a.actions[1].reason:find("监护人", 1, true) ~= nil, "the reason names the guardian")
end)

test("70 and over is reviewed", function()
  local a = hook("registry.validate", adult({ age = 70 }))
  expect_eq(a.actions[1].type, "require_review", "review at 70")
  a = hook("registry.validate", adult({ age = 69 }))
  expect_eq(#a.actions, 0, "none at 69")
end)

test("body donation under 20 is reviewed, one review for several reasons", function()
  local a = hook("registry.validate", adult({ age = 17, body = true, all_organs = false, has_guardian = true }))
  expect_eq(#a.actions, 1, "one review")
  expect(a.actions[1].reason:find("遗体", 1, true) ~= nil, "names body donation")
  a = hook("registry.validate", adult({ age = 20, body = true }))
  expect_eq(#a.actions, 0, "not at 20")
end)

test("after submit: a county's record notifies its prefecture's coordinator", function()
  local a = hook("registry.after_submit", { number = "D530502-7KQ2M9XA", age = 30, gender = "male",
                 region = "530502", all_organs = true, organs = {}, body = false, amending = false }, 530502)
  expect_eq(a.actions[1].type, "notify", "notify")
  expect_eq(a.actions[1].region, "530500", "保山市")
  expect_eq(a.actions[1].to, "coordinator", "the coordinator")
end)

test("after submit: a Beijing district's record goes to 北京市", function()
  local a = hook("registry.after_submit", { number = "D110105-7KQ2M9XA", age = 30, gender = "male",
                 region = "110105", all_organs = true, organs = {}, body = false, amending = true }, 110105)
  expect_eq(a.actions[1].region, "110000", "北京市")
  expect(a.actions[1].reason:find("修改", 1, true) ~= nil, "an amendment says so")
end)
