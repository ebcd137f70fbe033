# The browser side's files, laid out where convened looks for them
# (src/web/static_files.h): <build>/share/convene/web, installed as
# <prefix>/share/convene/web. The meeting client is ours (web/meet/); its XMPP
# library comes from npm (web/node_modules, made by `npm ci` in web/, which
# scripts/install-deps.sh runs) and is never copied into the repository.
include(GNUInstallDirs)
set(CONVENE_WEB_SOURCE ${PROJECT_SOURCE_DIR}/web)
set(CONVENE_WEB_OUT ${PROJECT_BINARY_DIR}/share/convene/web)
set(CONVENE_XMPP_JS ${CONVENE_WEB_SOURCE}/node_modules/@xmpp/client/dist/xmpp.min.js)

file(GLOB CONVENE_MEET_FILES CONFIGURE_DEPENDS ${CONVENE_WEB_SOURCE}/meet/*)
set(meet_outputs)
foreach(src ${CONVENE_MEET_FILES})
  get_filename_component(name ${src} NAME)
  add_custom_command(OUTPUT ${CONVENE_WEB_OUT}/meet/${name}
    COMMAND ${CMAKE_COMMAND} -E copy ${src} ${CONVENE_WEB_OUT}/meet/${name}
    DEPENDS ${src} VERBATIM)
  list(APPEND meet_outputs ${CONVENE_WEB_OUT}/meet/${name})
endforeach()

if(EXISTS ${CONVENE_XMPP_JS})
  add_custom_command(OUTPUT ${CONVENE_WEB_OUT}/meet/xmpp.min.js
    COMMAND ${CMAKE_COMMAND} -E copy ${CONVENE_XMPP_JS} ${CONVENE_WEB_OUT}/meet/xmpp.min.js
    DEPENDS ${CONVENE_XMPP_JS} VERBATIM)
  list(APPEND meet_outputs ${CONVENE_WEB_OUT}/meet/xmpp.min.js)
else()
  # Not fatal: the daemon builds and runs without it; /meet then fails visibly
  # (the page says its library is missing) and so do the browser tests.
  message(WARNING "web/node_modules is missing: /meet will have no XMPP library.\n"
                  "  Run `npm ci --ignore-scripts` in web/ (scripts/install-deps.sh does), then configure again.")
endif()

add_custom_target(web_assets ALL DEPENDS ${meet_outputs})
add_dependencies(convened web_assets)
install(DIRECTORY ${CONVENE_WEB_OUT} DESTINATION ${CMAKE_INSTALL_DATADIR}/convene)
