{{/*
Grafana provisioning: the Prometheus datasource and the file provider that
loads the dashboards ConfigMap.
*/}}
{{- define "monitoring.grafana.datasources" -}}
apiVersion: 1
datasources:
  - name: Prometheus
    uid: prometheus
    type: prometheus
    access: proxy
    url: {{ include "monitoring.grafana.datasourceUrl" . | quote }}
    isDefault: true
    editable: false
    jsonData:
      httpMethod: POST
      timeInterval: {{ .Values.prometheus.scrapeInterval | quote }}
{{- end -}}

{{- define "monitoring.grafana.dashboardProviders" -}}
apiVersion: 1
providers:
  - name: mlops-platform
    folder: MLOps platform
    type: file
    disableDeletion: true
    allowUiUpdates: false
    updateIntervalSeconds: 60
    options:
      path: /etc/grafana/dashboards
{{- end -}}

{{/*
Dashboards ConfigMap data: every dashboards/*.json of the chart, constants set from values.
*/}}
{{- define "monitoring.grafana.dashboards" -}}
{{- range $path, $_ := .Files.Glob "dashboards/*.json" }}
{{ base $path }}: |-
  {{- include "monitoring.dashboard" (dict "path" $path "context" $) | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Environment of the Grafana container: the chart's GF_* settings merged with
grafana.env (which wins), rendered in a stable order.
*/}}
{{- define "monitoring.grafana.env" -}}
{{- $g := .Values.grafana -}}
{{- $prefix := include "monitoring.grafana.pathPrefix" . -}}
{{- $settings := dict
  "GF_PATHS_DATA" "/var/lib/grafana"
  "GF_PATHS_PLUGINS" "/var/lib/grafana/plugins"
  "GF_PATHS_PROVISIONING" "/etc/grafana/provisioning"
  "GF_LOG_MODE" "console"
  "GF_SERVER_HTTP_PORT" (.Values.grafana.containerPorts.http | toString)
  "GF_USERS_ALLOW_SIGN_UP" "false"
  "GF_ANALYTICS_REPORTING_ENABLED" "false"
  "GF_ANALYTICS_CHECK_FOR_UPDATES" "false"
  "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES" "false"
  "GF_NEWS_NEWS_FEED_ENABLED" "false"
-}}
{{- if $g.ingress.enabled }}
{{- $ingress := dict "ingress" $g.ingress "component" "grafana" "context" . "path" (printf "%s/" $prefix) -}}
{{- $_ := set $settings "GF_SERVER_DOMAIN" (include "common.ingressHost" $ingress) -}}
{{- $_ := set $settings "GF_SERVER_ROOT_URL" (include "monitoring.externalUrl" $ingress) -}}
{{- else if $prefix }}
{{- $_ := set $settings "GF_SERVER_ROOT_URL" (printf "%%(protocol)s://%%(domain)s:%%(http_port)s%s/" $prefix) -}}
{{- end }}
{{- if $prefix }}
{{- $_ := set $settings "GF_SERVER_SERVE_FROM_SUB_PATH" "true" -}}
{{- end }}
{{- if eq $g.database.type "postgres" }}
{{- $_ := set $settings "GF_DATABASE_TYPE" "postgres" -}}
{{- $_ := set $settings "GF_DATABASE_HOST" (printf "%s:%d" (include "monitoring.grafana.databaseHost" .) ($g.database.port | int)) -}}
{{- $_ := set $settings "GF_DATABASE_NAME" $g.database.name -}}
{{- $_ := set $settings "GF_DATABASE_USER" $g.database.user -}}
{{- $_ := set $settings "GF_DATABASE_SSL_MODE" $g.database.sslMode -}}
{{- $_ := set $settings "GF_DATABASE_MAX_OPEN_CONN" ($g.database.maxOpenConns | toString) -}}
{{- else }}
{{- $_ := set $settings "GF_DATABASE_TYPE" "sqlite3" -}}
{{- end }}
{{- $settings = mergeOverwrite $settings ($g.env | default dict) -}}
{{- range $name := keys $settings | sortAlpha }}
- name: {{ $name }}
  value: {{ index $settings $name | toString | quote }}
{{- end }}
{{- end -}}
