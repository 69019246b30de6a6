{{/*
The ServiceAccount of a workload: (dict "serviceAccount" .Values.serviceAccount
"context" $ "component" "server"), optionally "default" as for
common.serviceAccountName. Rendered only when serviceAccount.create is true.
*/}}
{{- define "common.serviceAccount" -}}
{{- if .serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "common.serviceAccountName" . }}
  labels:
    {{- include "common.labels" (dict "context" .context "component" .component) | nindent 4 }}
  {{- with .serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# Pods opt in to the API token in their own spec, and only those that call the API.
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{/*
Pod spec lines naming the ServiceAccount: the same dict as common.serviceAccount,
plus "automount" true for pods that talk to the API server.
*/}}
{{- define "common.podServiceAccount" -}}
serviceAccountName: {{ include "common.serviceAccountName" . }}
automountServiceAccountToken: {{ .automount | default false }}
{{- end -}}
