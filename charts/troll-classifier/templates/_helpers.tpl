{{/*
Component label of every object of this chart.
*/}}
{{- define "troll-classifier.component" -}}
server
{{- end -}}

{{/*
Image reference: the tag defaults to the chart's appVersion (the CI tags the
image with the model-service version). global.imageRegistry still wins.
*/}}
{{- define "troll-classifier.image" -}}
{{- $image := merge (dict "tag" (.Values.image.tag | default .Chart.AppVersion)) (omit .Values.image "tag") -}}
{{- include "common.image" (dict "image" $image "context" $) -}}
{{- end -}}

{{/*
MLflow tracking URI for model.source=registry: the value, else the platform's
MLflow Service "<release>-mlflow" on port 5000.
*/}}
{{- define "troll-classifier.trackingUri" -}}
{{- .Values.model.registry.trackingUri | default (printf "http://%s-mlflow:5000" .Release.Name) -}}
{{- end -}}

{{/*
Replicas the chart guarantees: autoscaling.minReplicas under the HPA, else replicaCount.
*/}}
{{- define "troll-classifier.minReplicas" -}}
{{- ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled | int -}}
{{- end -}}

{{/*
Replicas the Deployment may reach: autoscaling.maxReplicas under the HPA, else replicaCount.
*/}}
{{- define "troll-classifier.maxReplicas" -}}
{{- ternary .Values.autoscaling.maxReplicas .Values.replicaCount .Values.autoscaling.enabled | int -}}
{{- end -}}

{{/*
Cross-field checks the schema cannot express; each failure names the keys.
*/}}
{{- define "troll-classifier.validate" -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- $paths := list "/tmp" (clean .Values.service.bentomlHome) (clean .Values.service.hfHome) -}}
{{- if ne (len ($paths | uniq)) 3 -}}
{{- fail "service.bentomlHome and service.hfHome must be distinct paths other than /tmp" -}}
{{- end -}}
{{- end -}}

{{/*
Pod affinity: the user's `affinity` wins; otherwise, when more than one
replica may run, the podAntiAffinity preset spreads them across nodes.
*/}}
{{- define "troll-classifier.affinity" -}}
{{- if .Values.affinity -}}
{{- toYaml .Values.affinity -}}
{{- else if and (gt (include "troll-classifier.maxReplicas" . | int) 1) (ne .Values.podAntiAffinity "none") -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (include "common.selectorLabels" (dict "context" $ "component" (include "troll-classifier.component" .)) | fromYaml)) -}}
podAntiAffinity:
{{- if eq .Values.podAntiAffinity "hard" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    {{- list $term | toYaml | nindent 4 }}
{{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        {{- toYaml $term | nindent 8 }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
topologySpreadConstraints with this chart's pod labels as the default labelSelector.
*/}}
{{- define "troll-classifier.topologySpreadConstraints" -}}
{{- $selector := dict "matchLabels" (include "common.selectorLabels" (dict "context" $ "component" (include "troll-classifier.component" .)) | fromYaml) -}}
{{- $constraints := list -}}
{{- range .Values.topologySpreadConstraints -}}
{{- $constraints = append $constraints (merge (deepCopy .) (dict "labelSelector" $selector)) -}}
{{- end -}}
{{- toYaml $constraints -}}
{{- end -}}
