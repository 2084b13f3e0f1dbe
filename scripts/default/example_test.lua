-- default/example_test.lua: cases for the default greeting rule.

test("a plain greeting is accepted unchanged", function()
  local a = hook("example.validate", { name = "李明", message = "你好", name_length = 2, message_length = 2 })
  expect_eq(a.accept, true, "accept")
  expect_eq(a.script, "default/example.validate.lua", "answered by the default rule")
  expect_eq(#a.actions, 0, "no actions")
end)

test("links are refused with a message on the field", function()
  local a = hook("example.validate", { name = "李明", message = "看 http://x.cn", name_length = 2, message_length = 12 })
  expect_eq(a.accept, false, "refused")
  expect(a.errors.message ~= nil, "the message field carries the error")
end)

test("long messages wait for review", function()
  local a = hook("example.validate", { name = "李明", message = "长", name_length = 2, message_length = 101 })
  expect_eq(a.accept, true, "accepted")
  expect_eq(a.actions[1].type, "require_review", "held for review")
end)

test("a region without its own rule gets the default (北京市朝阳区)", function()
  local a = hook("example.validate", { name = "王芳", message = "平安", name_length = 2, message_length = 2 }, 110105)
  expect_eq(a.script, "default/example.validate.lua", "fallback to default")
end)
