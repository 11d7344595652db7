-- range.lua — wrk script: random 1 MiB Range requests into one big file.
--
-- usage: wrk ... -s range.lua URL -- FILE_SIZE [SPAN=1048576] [SEED=1]
--
-- Each request asks for "bytes=OFF-(OFF+SPAN-1)". Half of the offsets are
-- page-aligned (multiple of 4096), half are arbitrary bytes, because on this
-- kernel sendfile() from aligned and unaligned offsets costs differently.
-- Every thread has its own generator seeded with SEED + thread number, so two
-- runs (and the two servers) see the same offset sequences.
--
-- No response() callback on purpose: defining one makes wrk copy every 1 MiB
-- body into a Lua string, extra client work on a 2-core machine. The runner
-- checks instead that bytes per answer are ~1 MiB and that wrk saw no
-- non-2xx answers, and checks one answer with curl before the runs.

local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
end

function init(args)
   size = tonumber(args[1])
   span = tonumber(args[2] or 1048576)
   local seed = tonumber(args[3] or 1)
   if not size or size < span then
      error("range.lua: give the file size (>= span) after --")
   end
   math.randomseed(seed * 1000 + id)
end

function request()
   local off = math.random(0, size - span)
   if math.random(2) == 1 then
      off = off - off % 4096
   end
   return wrk.format("GET", nil, {["Range"] = string.format("bytes=%d-%d", off, off + span - 1)})
end
