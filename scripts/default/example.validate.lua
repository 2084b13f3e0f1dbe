-- default/example.validate.lua: the rule every region gets for a new
-- greeting of the example plugin, unless its own folder overrides it.
--
-- record: name, message, name_length, message_length, region (or nil)
-- answer: accept / errors / changes (message) / actions (require_review, notify)

return function(record)
  -- links are how spam arrives; refuse them outright
  if record.message:find("http://", 1, true) or record.message:find("https://", 1, true) then
    return { errors = { message = "留言中不能包含网址 (no links, please)" } }
  end
  -- long messages are fine but a person reads them first
  if record.message_length > 100 then
    return { accept = true, actions = { { type = "require_review", reason = "long message" } } }
  end
  return { accept = true }
end
