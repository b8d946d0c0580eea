# Packs the debug info split off the release binary as a -dbgsym-style tarball, laid out
# the way Debian's dbgsym packages are (/usr/lib/debug/.build-id/ab/cdef....debug), so
# unpacking it at / lets gdb and eu-stack find it by the binary's build id.
# Usage: cmake -DDEBUG_FILE=logship.debug -DREADELF=readelf -DARCHIVE=out.tar.gz -P this
execute_process(COMMAND ${READELF} -n ${DEBUG_FILE} OUTPUT_VARIABLE notes
                COMMAND_ERROR_IS_FATAL ANY)
if(NOT notes MATCHES "Build ID: ([0-9a-f]+)")
  message(FATAL_ERROR "${DEBUG_FILE} has no build id (link with -Wl,--build-id)")
endif()
set(id ${CMAKE_MATCH_1})
string(SUBSTRING ${id} 0 2 id_dir)
string(SUBSTRING ${id} 2 -1 id_file)
set(stage ${ARCHIVE}.stage)
set(dest ${stage}/usr/lib/debug/.build-id/${id_dir})
file(REMOVE_RECURSE ${stage})
file(MAKE_DIRECTORY ${dest})
file(COPY_FILE ${DEBUG_FILE} ${dest}/${id_file}.debug)
execute_process(COMMAND tar --owner=0 --group=0 --numeric-owner -czf ${ARCHIVE} usr
                WORKING_DIRECTORY ${stage} COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE_RECURSE ${stage})
