{{/*
PodDisruptionBudget of one component: (dict "podDisruptionBudget" .Values.podDisruptionBudget
"replicas" <guaranteed replicas> "component" "server" "context" $), optionally "name"
(default: the fullname). Rendered only when enabled and more than one replica is
guaranteed: with a single pod, a budget either blocks node drains or does nothing.
*/}}
{{- define "common.podDisruptionBudget" -}}
{{- if and .podDisruptionBudget.enabled (gt (int .replicas) 1) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name | default (include "common.fullname" .context) }}
  labels:
    {{- include "common.labels" (dict "context" .context "component" .component) | nindent 4 }}
spec:
  maxUnavailable: {{ .podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "common.selectorLabels" (dict "context" .context "component" .component) | nindent 6 }}
{{- end }}
{{- end -}}
