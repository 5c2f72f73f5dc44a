# The README's quick start: every endpoint with curl (R58M12345: a phone's serial; 101: a task id).
API=http://127.0.0.1:50809/api/v1

# create (device mode; fan-out: one task per device and target user)
curl -X POST $API/task -H 'Content-Type: application/json' -d '{
  "serials": ["R58M12345"], "script_name": "follow",
  "script_config": {"target_users": ["@nasa", "@esa"], "access_method": "direct"}}'
# create (username mode, scheduled at the next 14:30)
curl -X POST $API/task -H 'Content-Type: application/json' -d '{
  "usernames": ["@shop_a"], "script_name": "post", "start_time": "14:30",
  "script_config": {"content_type": 0, "captions": "{New|Fresh} drop #fyp",
                    "material_list": ["/srv/media/video1.mp4"]}}'
curl "$API/task?status=0&page=1&page_size=20"       # list (filters: status serial script_name source username)
curl $API/task/101                                  # one task
curl -X POST $API/task/101/stop                     # pending/running -> failed (error "stopped")
curl -X POST $API/task/101/retry                    # failed -> pending
curl -X POST $API/task/retry-all                    # every failed -> pending
curl -X DELETE $API/task/101                        # stops it first if running
curl -X DELETE $API/task/batch -d '{"task_ids": [1, 2, 3]}'
curl $API/task/stats
curl $API/task/101/artifacts                        # a failed task's last UI dump and screenshot
curl -o screen.png $API/task/101/artifacts/screen.png   # (and artifacts/dump.xml)
curl $API/license/check
curl $API/devices ; curl $API/devices/R58M12345
curl -o now.png $API/devices/R58M12345/screen ; curl $API/devices/R58M12345/dump   # the screen now
curl -X POST $API/accounts -d '{"username": "shop_a", "device": "R58M12345", "platform": "tiktok"}'
curl -X POST $API/accounts/match -d '{"serials": ["R58M12345"]}'   # discover the accounts logged in
curl "$API/accounts?platform=tiktok" ; curl $API/accounts/1
curl -X PATCH $API/accounts/1 -d '{"status": 1}' ; curl -X DELETE $API/accounts/1
curl -N $API/events                                 # changes as server-sent events, as they happen
curl -N "$API/events?kinds=task&serial=R58M12345"   # only these kinds, only this device
curl $API/webhooks                                  # webhook delivery state
curl -s $API/openapi.json | jq .data > openapi.json # the OpenAPI 3.1 document (in the envelope)
curl -o openapi.json http://127.0.0.1:50809/openapi.json   # the same, bare, for tools
xdg-open http://127.0.0.1:50809/docs                # the API page (works offline)
curl http://127.0.0.1:50809/healthz
curl http://127.0.0.1:50809/metrics                 # Prometheus
