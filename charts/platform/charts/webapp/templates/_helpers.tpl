{{/*
Component label of every object of this chart.
*/}}
{{- define "webapp.component" -}}
web
{{- end -}}

{{/*
Image reference: the tag defaults to the chart's appVersion; global.imageRegistry wins.
*/}}
{{- define "webapp.image" -}}
{{- $image := merge (dict "tag" (.Values.image.tag | default .Chart.AppVersion)) (omit .Values.image "tag") -}}
{{- include "common.image" (dict "image" $image "context" .) -}}
{{- end -}}

{{/*
The Secret with the first admin's password and the cookie signing key.
*/}}
{{- define "webapp.secretName" -}}
{{- .Values.admin.existingSecret | default (include "common.fullname" .) -}}
{{- end -}}

{{/*
The training CronJob a "Start retraining" Job is made from (charts/troll-classifier's
"<fullname>-training", whose fullname is "<release>-troll-classifier").
*/}}
{{- define "webapp.trainingCronJob" -}}
{{- .Values.training.cronJob | default (printf "%s-troll-classifier-training" .Release.Name | trunc 52 | trimSuffix "-") -}}
{{- end -}}

{{/*
Where users open MLflow's links: mlflow.publicUrl, else mlflow.<global.domain> (https
when global.tlsIssuer is set) with a domain, else the in-cluster URL.
*/}}
{{- define "webapp.mlflowPublicUrl" -}}
{{- if .Values.mlflow.publicUrl -}}
{{- .Values.mlflow.publicUrl -}}
{{- else if .Values.global.domain -}}
{{- printf "%s://mlflow.%s" (ternary "https" "http" (not (empty .Values.global.tlsIssuer))) .Values.global.domain -}}
{{- else -}}
{{- include "webapp.mlflowUrl" . -}}
{{- end -}}
{{- end -}}

{{- define "webapp.mlflowUrl" -}}
{{- .Values.mlflow.url | default (include "common.mlflowURL" (dict "context" . "port" .Values.mlflow.servicePort)) -}}
{{- end -}}
