{{/*
Object names of the two components: "<fullname>-prometheus", "<fullname>-grafana".
*/}}
{{- define "monitoring.prometheus.fullname" -}}
{{- include "common.componentName" (dict "context" . "component" "prometheus") -}}
{{- end -}}

{{- define "monitoring.grafana.fullname" -}}
{{- include "common.componentName" (dict "context" . "component" "grafana") -}}
{{- end -}}

{{/*
ServiceAccount of a component (prometheus, grafana or kube-state-metrics), as the
argument of the common ServiceAccount helpers: its own block, named after the component.
*/}}
{{- define "monitoring.serviceAccountArgs" -}}
{{- $component := index .context.Values (include "monitoring.valuesKey" .component) -}}
{{- dict "serviceAccount" $component.serviceAccount "default" (include "common.componentName" (dict "context" .context "component" .component)) | toJson -}}
{{- end -}}

{{/*
The values block of a component: kube-state-metrics -> kubeStateMetrics.
*/}}
{{- define "monitoring.valuesKey" -}}
{{- . | replace "-" "_" | camelcase | untitle -}}
{{- end -}}

{{- define "monitoring.kubeStateMetrics.fullname" -}}
{{- include "common.componentName" (dict "context" . "component" "kube-state-metrics") -}}
{{- end -}}

{{- define "monitoring.kubeStateMetrics.serviceAccountName" -}}
{{- include "common.serviceAccountName" (merge (dict "context" .) (include "monitoring.serviceAccountArgs" (dict "context" . "component" "kube-state-metrics") | fromJson)) -}}
{{- end -}}

{{/*
Whether kube-state-metrics runs: it is only read through Prometheus.
*/}}
{{- define "monitoring.kubeStateMetrics.enabled" -}}
{{- if and .Values.prometheus.enabled .Values.kubeStateMetrics.enabled }}true{{ end -}}
{{- end -}}

{{- define "monitoring.prometheus.serviceAccountName" -}}
{{- include "common.serviceAccountName" (merge (dict "context" .) (include "monitoring.serviceAccountArgs" (dict "context" . "component" "prometheus") | fromJson)) -}}
{{- end -}}

{{/*
Secret with the Grafana admin credentials and secret_key.
*/}}
{{- define "monitoring.grafana.secretName" -}}
{{- .Values.grafana.admin.existingSecret | default (include "monitoring.grafana.fullname" .) -}}
{{- end -}}

{{/*
The platform PostgreSQL for Grafana. The common database helpers read
`.Values.database`; Grafana's block lives under `grafana.database`, so they get
a small context holding just that.
*/}}
{{- define "monitoring.grafana.databaseHost" -}}
{{- include "common.databaseHost" (dict "Values" (dict "database" .Values.grafana.database) "Release" .Release) -}}
{{- end -}}

{{- define "monitoring.grafana.databaseSecret" -}}
{{- include "common.databaseSecret" (dict "Values" (dict "database" .Values.grafana.database) "Release" .Release) -}}
{{- end -}}

{{/*
MLflow's scrape login (charts/mlflow metrics.scrapeLogin), mounted into Prometheus here:
the name the mlflow chart gives it in the same release, unless set.
*/}}
{{- define "monitoring.mlflow.scrapeLoginSecret" -}}
{{- $mlflow := dict "Values" dict "Chart" (dict "Name" "mlflow") "Release" .Release -}}
{{- .Values.monitored.mlflow.scrapeLoginSecret | default (include "common.componentName" (dict "context" $mlflow "component" "scrape-login")) -}}
{{- end -}}

{{- /* Beside /etc/prometheus: inside its read-only config volume no mount point can be created. */ -}}
{{- define "monitoring.scrapeLoginDir" -}}/etc/prometheus-logins{{- end -}}

{{/*
Sub-path without surrounding slashes ("" when Grafana is served from the root).
*/}}
{{- define "monitoring.grafana.subPath" -}}
{{- .Values.grafana.subPath | trimPrefix "/" | trimSuffix "/" -}}
{{- end -}}

{{/*
Path prefix of Grafana's HTTP routes: "/<subPath>" or "".
*/}}
{{- define "monitoring.grafana.pathPrefix" -}}
{{- with include "monitoring.grafana.subPath" . }}/{{ . }}{{ end -}}
{{- end -}}

{{/*
Prometheus URL for the Grafana datasource: grafana.datasource.url, else this chart's Prometheus.
*/}}
{{- define "monitoring.grafana.datasourceUrl" -}}
{{- if .Values.grafana.datasource.url -}}
{{- .Values.grafana.datasource.url -}}
{{- else if .Values.prometheus.enabled -}}
{{- printf "http://%s.%s.svc:%d" (include "monitoring.prometheus.fullname" .) .Release.Namespace (.Values.prometheus.service.ports.http | int) -}}
{{- else -}}
{{- fail "grafana.datasource.url is required when prometheus.enabled is false" -}}
{{- end -}}
{{- end -}}

{{/*
External URL of a component behind its Ingress: (dict "ingress" ... "component" ... "context" $ "path" "/x/").
*/}}
{{- define "monitoring.externalUrl" -}}
{{- include "common.ingressURL" (merge (dict "path" (.path | default "/")) .) -}}
{{- end -}}

{{/*
PromQL selector of a monitored component's series: (dict "app" "troll-classifier" "extra" "...").
*/}}
{{- define "monitoring.selector" -}}
{{- $parts := list (printf "app_kubernetes_io_name=%q" .app) -}}
{{- with .extra }}{{ $parts = append $parts . }}{{ end -}}
{{- printf "{%s}" (join ", " $parts) -}}
{{- end -}}

{{/*
Values of the constant variables the dashboards declare (see dashboards/*.json):
each dashboard keeps its own defaults, the chart overrides them from `monitored`.
*/}}
{{- define "monitoring.dashboardConstants" -}}
{{- $m := .Values.monitored -}}
{{- dict
  "modelApp" $m.modelService.app
  "modelExcludeEndpoints" (include "monitoring.excludeEndpoints" .)
  "modelRequestDuration" $m.modelService.metrics.requestDuration
  "modelRequestTotal" $m.modelService.metrics.requestTotal
  "modelRequestInProgress" $m.modelService.metrics.requestInProgress
  "modelBatchSize" $m.modelService.metrics.batchSize
  "mlflowApp" $m.mlflow.app
  "mlflowRequestTotal" $m.mlflow.metrics.requestTotal
  "mlflowRequestDuration" $m.mlflow.metrics.requestDuration
  "postgresqlApp" $m.postgresql.app
  "pgUp" $m.postgresql.metrics.up
  "pgBackends" $m.postgresql.metrics.backends
  "pgDatabaseSize" $m.postgresql.metrics.databaseSize
  "pgMaxConnections" $m.postgresql.metrics.maxConnections
  | toJson -}}
{{- end -}}

{{/*
One dashboard file with its constant variables set from values: (dict "path" "dashboards/x.json" "context" $).
*/}}
{{- define "monitoring.dashboard" -}}
{{- $dashboard := .context.Files.Get .path | fromJson -}}
{{- if hasKey $dashboard "Error" -}}
{{- fail (printf "%s is not valid JSON: %s" .path $dashboard.Error) -}}
{{- end -}}
{{- $constants := include "monitoring.dashboardConstants" .context | fromJson -}}
{{- range $variable := (($dashboard.templating | default dict).list | default list) -}}
{{- if and (eq $variable.type "constant") (hasKey $constants $variable.name) -}}
{{- $value := index $constants $variable.name | toString -}}
{{- $_ := set $variable "query" $value -}}
{{- $_ := set $variable "current" (dict "text" $value "value" $value) -}}
{{- $_ := set $variable "options" (list (dict "selected" true "text" $value "value" $value)) -}}
{{- end -}}
{{- end -}}
{{- $dashboard | toJson -}}
{{- end -}}

{{/*
What Prometheus' Kubernetes service discovery reads (Role or ClusterRole rules).
*/}}
{{- define "monitoring.prometheus.discoveryRules" -}}
- apiGroups: [""]
  resources: ["pods", "services", "endpoints"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["get", "list", "watch"]
{{- end -}}

{{/*
Regex of the model endpoints left out of traffic panels and alerts; used inside
PromQL raw (backtick) strings, so it needs no escaping.
*/}}
{{- define "monitoring.excludeEndpoints" -}}
{{- join "|" .Values.monitored.modelService.excludeEndpoints -}}
{{- end -}}
