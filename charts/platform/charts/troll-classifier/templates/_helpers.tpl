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
MLflow Service "<release>-mlflow" on model.registry.mlflowServicePort.
*/}}
{{- define "troll-classifier.trackingUri" -}}
{{- .Values.model.registry.trackingUri | default (include "common.mlflowURL" (dict "context" . "port" .Values.model.registry.mlflowServicePort)) -}}
{{- end -}}

{{/*
Replicas the chart guarantees: autoscaling.minReplicas under the HPA, else replicas.
*/}}
{{- define "troll-classifier.minReplicas" -}}
{{- ternary .Values.autoscaling.minReplicas .Values.replicas .Values.autoscaling.enabled | int -}}
{{- end -}}

{{/*
Replicas the Deployment may reach: autoscaling.maxReplicas under the HPA, else replicas.
*/}}
{{- define "troll-classifier.maxReplicas" -}}
{{- ternary .Values.autoscaling.maxReplicas .Values.replicas .Values.autoscaling.enabled | int -}}
{{- end -}}

{{/*
Cross-field checks the schema cannot express; each failure names the keys.
*/}}
{{- define "troll-classifier.validate" -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- $paths := list "/tmp" (clean .Values.server.bentomlHome) (clean .Values.server.hfHome) -}}
{{- if ne (len ($paths | uniq)) 3 -}}
{{- fail "server.bentomlHome and server.hfHome must be distinct paths other than /tmp" -}}
{{- end -}}
{{- end -}}
