{{/*
prometheus.yml: scrape itself, and every pod annotated prometheus.io/scrape=true
(prometheus.io/port, /path, /scheme refine the target), in the release namespace
unless prometheus.scrape.allNamespaces.
*/}}
{{- define "monitoring.prometheus.config" -}}
{{- $p := .Values.prometheus -}}
global:
  scrape_interval: {{ $p.scrapeInterval }}
  scrape_timeout: {{ $p.scrapeTimeout }}
  evaluation_interval: {{ $p.evaluationInterval }}
{{- with $p.alertmanagers }}
alerting:
  alertmanagers:
    - static_configs:
        - targets:
            {{- toYaml . | nindent 12 }}
{{- end }}
{{- if $p.alerts.enabled }}
rule_files:
  - /etc/prometheus/alerts.yml
{{- end }}
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: [{{ printf "localhost:%v" .Values.prometheus.containerPorts.http | quote }}]
  # Pods annotated mlops-platform.io/scrape-login need a login: their own job below.
  - job_name: kubernetes-pods
    {{- include "monitoring.prometheus.podDiscovery" . | nindent 4 }}
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_mlops_platform_io_scrape_login]
        action: drop
        regex: .+
      {{- include "monitoring.prometheus.podRelabels" . | nindent 6 }}
  # MLflow with auth on: its /metrics answers 401 without MLflow's scrape login.
  - job_name: mlflow
    {{- include "monitoring.prometheus.podDiscovery" . | nindent 4 }}
    basic_auth:
      username_file: {{ include "monitoring.scrapeLoginDir" . }}/mlflow/username
      password_file: {{ include "monitoring.scrapeLoginDir" . }}/mlflow/password
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_mlops_platform_io_scrape_login]
        action: keep
        regex: mlflow
      {{- include "monitoring.prometheus.podRelabels" . | nindent 6 }}
{{- with $p.scrape.extraScrapeConfigs }}
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Pods found by Kubernetes service discovery: the release namespace unless
prometheus.scrape.allNamespaces.
*/}}
{{- define "monitoring.prometheus.podDiscovery" -}}
kubernetes_sd_configs:
  - role: pod
    {{- if not .Values.prometheus.scrape.allNamespaces }}
    namespaces:
      names: [{{ .Release.Namespace | quote }}]
    {{- end }}
{{- end -}}

{{/*
Relabelling shared by the pod jobs: pods opted in by prometheus.io/* annotations,
with their Kubernetes labels.
*/}}
{{- define "monitoring.prometheus.podRelabels" -}}
# Opt-in per pod.
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
  action: keep
  regex: "true"
# Finished pods (jobs) have nothing to scrape.
- source_labels: [__meta_kubernetes_pod_phase]
  action: drop
  regex: Succeeded|Failed
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme]
  action: replace
  regex: (https?)
  target_label: __scheme__
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
  action: replace
  regex: (.+)
  target_label: __metrics_path__
# prometheus.io/port picks the port (IPv4, then IPv6 pod addresses).
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port, __meta_kubernetes_pod_ip]
  action: replace
  regex: '(\d+);([0-9.]+)'
  replacement: '$2:$1'
  target_label: __address__
- source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port, __meta_kubernetes_pod_ip]
  action: replace
  regex: '(\d+);([0-9a-fA-F:]+)'
  replacement: '[$2]:$1'
  target_label: __address__
# app.kubernetes.io/{name,instance,component} -> app_kubernetes_io_{name,instance,component}:
# alerts and dashboards select components by app_kubernetes_io_name.
- action: labelmap
  regex: __meta_kubernetes_pod_label_app_kubernetes_io_(name|instance|component)
  replacement: 'app_kubernetes_io_$1'
- source_labels: [__meta_kubernetes_namespace]
  target_label: namespace
- source_labels: [__meta_kubernetes_pod_name]
  target_label: pod
- source_labels: [__meta_kubernetes_pod_node_name]
  target_label: node
{{- end -}}

{{/*
alerts.yml: the model service rules, then any extra groups.
*/}}
{{- define "monitoring.prometheus.alerts" -}}
{{- $a := .Values.prometheus.alerts.modelService -}}
{{- $m := .Values.monitored.modelService -}}
{{- $app := include "monitoring.selector" (dict "app" $m.app) -}}
{{- $exclude := printf "endpoint!~`%s`" (include "monitoring.excludeEndpoints" .) -}}
{{- $requests := include "monitoring.selector" (dict "app" $m.app "extra" $exclude) -}}
{{- $errors := include "monitoring.selector" (dict "app" $m.app "extra" (printf "%s, http_response_code=~\"5..\"" $exclude)) -}}
groups:
  - name: model-service
    rules:
      - alert: ModelServiceDown
        expr: |-
          up{{ $app }} == 0
        for: {{ $a.down.for }}
        labels:
          severity: critical
        annotations:
          summary: Model service pod is not answering its metrics scrape
          description: >-
            {{`{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.instance }})`}} has failed
            every scrape for {{ $a.down.for }}.
      {{- if $a.absent.enabled }}
      - alert: ModelServiceAbsent
        expr: |-
          absent(up{{ $app }})
        for: {{ $a.absent.for }}
        labels:
          severity: warning
        annotations:
          summary: No model service pod is being scraped
          description: >-
            Prometheus has found no pod labelled app.kubernetes.io/name={{ $m.app }} with
            prometheus.io/scrape=true for {{ $a.absent.for }}.
      {{- end }}
      - alert: ModelServiceHighErrorRatio
        expr: |-
          sum by (namespace) (rate({{ $m.metrics.requestTotal }}{{ $errors }}[{{ $a.errorRatio.window }}]))
            /
          sum by (namespace) (rate({{ $m.metrics.requestTotal }}{{ $requests }}[{{ $a.errorRatio.window }}]))
            > {{ $a.errorRatio.threshold }}
        for: {{ $a.errorRatio.for }}
        labels:
          severity: critical
        annotations:
          summary: Model service answers too many requests with 5xx
          description: >-
            {{`{{ $value | humanizePercentage }}`}} of the requests in {{`{{ $labels.namespace }}`}} failed
            with 5xx over the last {{ $a.errorRatio.window }} (threshold {{ $a.errorRatio.threshold }}).
      - alert: ModelServiceHighLatency
        expr: |-
          histogram_quantile(0.95,
            sum by (namespace, le) (rate({{ $m.metrics.requestDuration }}_bucket{{ $requests }}[{{ $a.latency.window }}]))
          ) > {{ $a.latency.p95Seconds }}
        for: {{ $a.latency.for }}
        labels:
          severity: warning
        annotations:
          summary: Model service p95 latency is above {{ $a.latency.p95Seconds }}s
          description: >-
            p95 request latency in {{`{{ $labels.namespace }}`}} is {{`{{ $value | humanizeDuration }}`}}
            over the last {{ $a.latency.window }}.
{{- if .Values.prometheus.alerts.training.enabled }}
  {{- include "monitoring.prometheus.trainingAlerts" . | nindent 2 }}
{{- end }}
{{- with .Values.prometheus.alerts.extraGroups }}
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The training rules, on kube-state-metrics' series of the release namespace's Jobs and
CronJobs (their labels name the training ones). A Job's completion time is set only
when it succeeds.
*/}}
{{- define "monitoring.prometheus.trainingAlerts" -}}
{{- $a := .Values.prometheus.alerts.training -}}
{{- $t := .Values.monitored.training -}}
{{- $selector := printf "{label_app_kubernetes_io_name=%q, label_app_kubernetes_io_component=%q}" $t.app $t.component -}}
{{- $failed := printf "(kube_job_status_start_time and on (namespace, job_name) (kube_job_failed{condition=\"true\"} == 1) and on (namespace, job_name) kube_job_labels%s)" $selector -}}
{{- $succeeded := printf "(kube_job_status_completion_time and on (namespace, job_name) kube_job_labels%s)" $selector -}}
- name: training
  rules:
    - alert: TrainingRunFailed
      expr: |-
        {{ $failed }}
          > on (namespace) group_left () max by (namespace) {{ $succeeded }}
        or
        {{ $failed }}
          unless on (namespace) {{ $succeeded }}
      for: {{ $a.failed.for }}
      labels:
        severity: warning
      annotations:
        summary: A training run failed
        description: >-
          Training Job {{`{{ $labels.namespace }}/{{ $labels.job_name }}`}} failed, and no
          training run has succeeded since; the champion is unchanged. Its pod's log ends
          with the reason (kubectl logs job/{{`{{ $labels.job_name }}`}}).
    - alert: TrainingRunsMissing
      expr: |-
        (
          time() - (
            max by (namespace, cronjob) (kube_cronjob_status_last_successful_time)
            or max by (namespace, cronjob) (kube_cronjob_created)
          )
        ) / 3600 > {{ $a.missing.afterHours }}
        and on (namespace, cronjob) kube_cronjob_labels{{ $selector }}
        unless on (namespace, cronjob) (kube_cronjob_spec_suspend == 1)
      for: {{ $a.missing.for }}
      labels:
        severity: warning
      annotations:
        summary: Continuous training has not succeeded for {{ $a.missing.afterHours }} hours
        description: >-
          CronJob {{`{{ $labels.namespace }}/{{ $labels.cronjob }}`}} has had no successful
          run for {{`{{ $value | printf "%.1f" }}`}} hours (threshold {{ $a.missing.afterHours }}).
{{- end -}}
