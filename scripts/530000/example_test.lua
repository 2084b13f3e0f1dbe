-- 530000/example_test.lua: 云南省's cases; records here are for 530000
-- unless a test names a prefecture or county.

test("spacing is tidied", function()
  local a = hook("example.validate", { name = "李明", message = "  你好   世界 ", name_length = 2, message_length = 9 })
  expect_eq(a.accept, true, "accept")
  expect_eq(a.changes.message, "你好 世界", "message tidied")
  expect_eq(a.script, "530000/example.validate.lua", "answered by 云南's own rule")
end)

test("donation messages notify a coordinator of the record's region", function()
  local a = hook("example.validate", { name = "李明", message = "我想登记器官捐献", name_length = 2,
                                       message_length = 8, region = "530502" }, 530502)
  expect_eq(a.actions[1].type, "notify", "notify")
  expect_eq(a.actions[1].region, "530502", "to 隆阳区")
  expect_eq(a.script, "530000/example.validate.lua", "隆阳区 falls back to the province")
end)

test("one-character names are held for review", function()
  local a = hook("example.validate", { name = "李", message = "好", name_length = 1, message_length = 1 })
  expect_eq(a.actions[1].type, "require_review", "review")
end)

test("links are refused here too", function()
  local a = hook("example.validate", { name = "李明", message = "https://spam", name_length = 2, message_length = 12 })
  expect_eq(a.accept, false, "refused")
end)
