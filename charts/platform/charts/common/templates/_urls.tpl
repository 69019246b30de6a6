{{/*
In-cluster URL of the platform's MLflow: (dict "context" $ "port" <MLflow's
service.ports.http> "path" <its static prefix>), optionally "namespace" for the
namespaced name. The Service is "<release>-mlflow" (charts/mlflow's fullname).
*/}}
{{- define "common.mlflowURL" -}}
{{- $host := printf "%s-mlflow" .context.Release.Name -}}
{{- with .namespace }}{{ $host = printf "%s.%s.svc" $host . }}{{ end -}}
{{- printf "http://%s:%v%s" $host .port (.path | default "" | trimSuffix "/") -}}
{{- end -}}
