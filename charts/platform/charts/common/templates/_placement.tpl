{{/*
Pod placement: (dict "placement" <block> "replicas" <most replicas> "component" "server" "context" $),
where <block> holds nodeSelector, tolerations, affinity, podAntiAffinity and
topologySpreadConstraints (the chart's values, or a component's). Renders those
pod spec fields that are set.
*/}}
{{- define "common.podPlacement" -}}
{{- include "common.podPlacementFields" . | trim -}}
{{- end -}}

{{- define "common.podPlacementFields" -}}
{{- with .placement.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .placement.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "common.affinity" . }}
affinity:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "common.topologySpreadConstraints" . }}
topologySpreadConstraints:
  {{- . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Affinity: the block's own `affinity` wins; otherwise, when more than one replica
may run, the podAntiAffinity preset spreads them over nodes: "soft" (preferred),
"hard" (required) or "none". Same dict as common.podPlacement.
*/}}
{{- define "common.affinity" -}}
{{- $preset := .placement.podAntiAffinity | default "none" -}}
{{- if .placement.affinity -}}
{{- toYaml .placement.affinity -}}
{{- else if and (gt (int .replicas) 1) (ne $preset "none") -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (include "common.selectorLabels" (dict "context" .context "component" .component) | fromYaml)) -}}
podAntiAffinity:
{{- if eq $preset "hard" }}
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
topologySpreadConstraints of the block, each missing labelSelector filled with
the component's pod labels. Same dict as common.podPlacement.
*/}}
{{- define "common.topologySpreadConstraints" -}}
{{- with .placement.topologySpreadConstraints -}}
{{- $selector := dict "matchLabels" (include "common.selectorLabels" (dict "context" $.context "component" $.component) | fromYaml) -}}
{{- $constraints := list -}}
{{- range . -}}
{{- $constraints = append $constraints (merge (deepCopy .) (dict "labelSelector" $selector)) -}}
{{- end -}}
{{- toYaml $constraints -}}
{{- end -}}
{{- end -}}

{{/*
Deployment strategy of pods that mount a volume: (dict "strategy" .Values.strategy
"accessModes" <the volume's access modes> "persistent" <whether a PVC is mounted>).
The configured strategy wins; else Recreate while a ReadWriteOnce volume would
keep the new pod from attaching it beside the old one; else a rolling update that
starts the new pod before the old one goes away.
*/}}
{{- define "common.volumeStrategy" -}}
{{- if .strategy -}}
{{- toYaml .strategy -}}
{{- else if and .persistent (not (has "ReadWriteMany" .accessModes)) -}}
type: Recreate
{{- else -}}
type: RollingUpdate
rollingUpdate:
  maxSurge: 1
  maxUnavailable: 0
{{- end -}}
{{- end -}}
