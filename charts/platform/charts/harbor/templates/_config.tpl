{{/*
ConfigMap data of each component, defined here so that configmap.yaml renders
it and each Deployment hashes only its own component's configuration.
*/}}

{{/* core: beego app.conf (the rest of core's settings are env vars). */}}
{{- define "harbor.core.config" -}}
app.conf: |
  appname = Harbor
  runmode = prod
  enablegzip = true

  [prod]
  httpport = {{ .Values.containerPorts.core }}
{{- end -}}

{{/* jobservice: worker pool on Redis database 1, job logs to the database or stdout. */}}
{{- define "harbor.jobservice.config" -}}
{{- $level := .Values.logLevel | upper -}}
config.yml: |
  protocol: "http"
  port: {{ .Values.containerPorts.jobservice }}
  worker_pool:
    workers: {{ .Values.jobservice.workers }}
    backend: "redis"
    redis_pool:
      redis_url: {{ include "harbor.redisURL" (dict "context" . "db" 1) | quote }}
      namespace: "harbor_job_service_namespace"
      idle_timeout_second: 3600
  job_loggers:
    {{- if eq .Values.jobservice.jobLogger "database" }}
    - name: "DB"
      level: {{ $level | quote }}
      sweeper:
        duration: 14
    {{- else }}
    - name: "STD_OUTPUT"
      level: {{ $level | quote }}
    {{- end }}
  loggers:
    - name: "STD_OUTPUT"
      level: {{ $level | quote }}
  reaper:
    max_update_hours: 24
    max_dangling_hours: 168
{{- end -}}

{{/*
The registry (CNCF distribution) knows debug, info, warn and error and exits on any
other level; Harbor's own components know warning and fatal.
*/}}
{{- define "harbor.registryLogLevel" -}}
{{- get (dict "warning" "warn" "fatal" "error") .Values.logLevel | default .Values.logLevel -}}
{{- end -}}

{{/*
registry: filesystem storage on /storage, layer-info cache on Redis database 2,
htpasswd auth for the internal user (core proxies /v2/ and does the token auth);
http.secret comes from REGISTRY_HTTP_SECRET. registryctl reads the same file.
*/}}
{{- define "harbor.registry.config" -}}
config.yml: |
  version: 0.1
  log:
    level: {{ include "harbor.registryLogLevel" . }}
    fields:
      service: registry
  storage:
    filesystem:
      rootdirectory: /storage
    cache:
      layerinfo: redis
    maintenance:
      uploadpurging:
        enabled: false
    delete:
      enabled: true
    redirect:
      disable: true
  redis:
    addr: {{ include "harbor.redisAddr" . | quote }}
    db: 2
    readtimeout: 10s
    writetimeout: 10s
    dialtimeout: 10s
    pool:
      maxidle: 100
      maxactive: 500
      idletimeout: 60s
  http:
    addr: :{{ .Values.containerPorts.registry }}
    relativeurls: {{ .Values.registry.relativeurls }}
    debug:
      addr: localhost:5001
  auth:
    htpasswd:
      realm: harbor-registry-basic-realm
      path: /etc/registry/passwd
  validation:
    disabled: true
  compatibility:
    schema1:
      enabled: true
ctl-config.yml: |
  protocol: "http"
  port: {{ .Values.containerPorts.registryController }}
  log_level: {{ .Values.logLevel }}
  registry_config: "/etc/registry/config.yml"
{{- end -}}

{{/* portal: nginx serving the single-page UI on containerPorts.portal; every writable path in /tmp. */}}
{{- define "harbor.portal.config" -}}
nginx.conf: |
  worker_processes auto;
  pid /tmp/nginx.pid;
  events {
    worker_connections 1024;
  }
  http {
    client_body_temp_path /tmp/client_body_temp;
    proxy_temp_path /tmp/proxy_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    server_tokens off;
    server {
      listen {{ .Values.containerPorts.portal }};
      server_name localhost;
      root /usr/share/nginx/html;
      index index.html;
      include /etc/nginx/mime.types;
      gzip on;
      gzip_min_length 1000;
      gzip_proxied expired no-cache no-store private auth;
      gzip_types text/plain text/css application/json application/javascript text/xml application/xml text/javascript;
      # The API explorer page.
      location /devcenter-api-2.0 {
        try_files $uri $uri/ /swagger-ui-index.html;
      }
      # The UI routes client-side: unknown paths get the app shell.
      location / {
        try_files $uri $uri/ /index.html;
      }
      # Never cache the shell, so a new portal version is picked up at once.
      location = /index.html {
        add_header Cache-Control "no-store, no-cache, must-revalidate";
      }
    }
  }
{{- end -}}
