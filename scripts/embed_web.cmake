# SPDX-License-Identifier: Apache-2.0
# Turn the web console's files (web/) into a C array: certa_web_assets[].
# ROOT: the web directory; FILES: its files; OUT: the C file to write.
# Each asset keeps its path below ROOT ("/index.html", "/assets/app.js")
# and a strong ETag: the first 32 hex digits of its SHA-256.
set(body "/* generated from web/ by scripts/embed_web.cmake; do not edit */\n#include <stddef.h>\n#include \"proto/console.h\"\n")
set(table "const struct certa_web_asset certa_web_assets[] = {\n")
set(n 0)
# One line of the array: 16 bytes.
set(row "")
foreach(i RANGE 15)
	string(APPEND row "0x[0-9a-f][0-9a-f],")
endforeach()
foreach(f ${FILES})
	file(RELATIVE_PATH rel ${ROOT} ${f})
	file(READ ${f} hex HEX)
	file(SHA256 ${f} sum)
	string(SUBSTRING ${sum} 0 32 etag)
	string(LENGTH "${hex}" hlen)
	math(EXPR len "${hlen} / 2")
	string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
	string(REGEX REPLACE "(${row})" "\\1\n" hex "${hex}")
	string(APPEND body "static const unsigned char web_${n}[] = {\n${hex}0x00\n};\n")
	string(APPEND table "\t{ \"/${rel}\", web_${n}, ${len}, \"\\\"${etag}\\\"\" },\n")
	math(EXPR n "${n}+1")
endforeach()
string(APPEND table "};\nconst size_t certa_web_count = ${n};\n")
file(WRITE ${OUT}.tmp "${body}${table}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
