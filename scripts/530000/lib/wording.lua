-- 530000/lib/wording.lua: helper shared by 云南省's rules.
local M = {}

-- Words that mean a message should reach a coordinator.
local donation_words = { "捐献", "捐赠", "器官" }

function M.mentions_donation(text)
  for _, w in ipairs(donation_words) do
    if text:find(w, 1, true) then
      return true
    end
  end
  return false
end

-- Collapse runs of spaces, trim the ends.
function M.tidy(text)
  return (text:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

return M
