# Writes logship(1) from the CLI's own help: help2man turns `logship --help` into the
# page (the version is passed in: `logship --version` also prints the build id and the
# libraries), and a COMMANDS section holds `logship help COMMAND` for each command, so the
# page cannot drift from the binary it ships with.
# Usage: cmake -DLOGSHIP=bin -DVERSION=0.1.0 -DHELP2MAN=help2man -DOUT=logship.1 -P this
set(commands run check tail offsets version help)
set(include_text "[COMMANDS]\n")
foreach(command IN LISTS commands)
  execute_process(COMMAND ${LOGSHIP} help ${command} OUTPUT_VARIABLE help
                  COMMAND_ERROR_IS_FATAL ANY)
  # roff: a backslash is an escape, a line starting with . or ' a request.
  string(REPLACE "\\" "\\e" help "${help}")
  # Options are typed with minus signs, not hyphens.
  string(REPLACE "-" "\\-" help "${help}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
  string(APPEND include_text ".SS \"logship ${command}\"\n.nf\n${help}.fi\n")
endforeach()
string(APPEND include_text "[FILES]\n"
  ".TP\n/etc/logship/logship.toml\nThe service's configuration.\n"
  ".TP\n/etc/default/logship\nThe service's environment, for \${VAR} in the configuration.\n"
  ".TP\n/usr/share/doc/logship/config.example.toml\nEvery key, with its default.\n")
file(WRITE ${OUT}.include "${include_text}")
execute_process(
  COMMAND ${HELP2MAN} --no-info --section=1 --version-string=${VERSION}
          "--name=ship log files to Kafka, Grafana Loki or stdout, losing nothing"
          --include=${OUT}.include --output=${OUT} ${LOGSHIP}
  COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE ${OUT}.include)
