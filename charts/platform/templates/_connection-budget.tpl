{{/*
PostgreSQL's connection budget. Only the umbrella sees every consumer's values, so it
adds up the most connections they may hold at once: for each consumer of the platform's
PostgreSQL (database host ""), its pods at the peak of a rolling update (replicas plus
surge: old and new pods hold their pools side by side) times what one pod's pools may
open. The sum must fit in max_connections minus the superuser reserve.
*/}}

{{/*
Extra pods a Deployment runs during a rollout: (dict "strategy" <DeploymentStrategy>
"replicas" <int>). 0 for Recreate; else maxSurge, Kubernetes' default 25% rounded up.
*/}}
{{- define "platform.surge" -}}
{{- $strategy := .strategy | default dict -}}
{{- if eq ($strategy.type | default "RollingUpdate") "Recreate" -}}
0
{{- else -}}
{{- $surge := dig "rollingUpdate" "maxSurge" "25%" $strategy -}}
{{- if kindIs "string" $surge -}}
{{- div (add (mul (int .replicas) (trimSuffix "%" $surge | int)) 99) 100 -}}
{{- else -}}
{{- $surge | int -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "platform.pods" -}}
{{- printf "%d %s" (int .) (ternary "pod" "pods" (eq (int .) 1)) -}}
{{- end -}}

{{/*
The consumers as JSON: {"consumers": [{"name", "connections", "why"}], "total"}.
*/}}
{{- define "platform.connectionBudget" -}}
{{- $consumers := list -}}
{{- $m := .Values.mlflow -}}
{{- if and $m.enabled (not $m.database.host) -}}
{{- $replicas := int $m.replicas -}}
{{- $modes := $m.artifacts.persistence.accessModes | default (ternary (list "ReadWriteMany") (list "ReadWriteOnce") (gt $replicas 1)) -}}
{{- $strategy := include "common.volumeStrategy" (dict "strategy" $m.strategy "persistent" (eq $m.artifacts.store "pvc") "accessModes" $modes) | fromYaml -}}
{{- $pods := add $replicas (include "platform.surge" (dict "strategy" $strategy "replicas" $replicas) | int) -}}
{{- $pools := ternary 3 2 (and $m.auth.enabled true) -}}
{{- $perPool := add $m.database.pool.size $m.database.pool.maxOverflow -}}
{{- $why := printf "%s x %d workers x %d pools (tracking, registry%s) x %d (pool.size + pool.maxOverflow)" (include "platform.pods" $pods) (int $m.server.workers) $pools (ternary ", auth" "" (and $m.auth.enabled true)) (int $perPool) -}}
{{- $consumers = append $consumers (dict "name" "mlflow" "connections" (mul $pods $m.server.workers $pools $perPool) "why" $why) -}}
{{- end -}}
{{- $h := .Values.harbor -}}
{{- if and $h.enabled (not $h.database.host) -}}
{{- range $component := list "core" "jobservice" -}}
{{- $replicas := int (index $h $component).replicas -}}
{{- $pods := add $replicas (include "platform.surge" (dict "replicas" $replicas) | int) -}}
{{- $why := printf "%s x %d (database.maxOpenConns)" (include "platform.pods" $pods) (int $h.database.maxOpenConns) -}}
{{- $consumers = append $consumers (dict "name" (printf "harbor %s" $component) "connections" (mul $pods $h.database.maxOpenConns) "why" $why) -}}
{{- end -}}
{{- end -}}
{{- $mon := .Values.monitoring -}}
{{- if and $mon.enabled $mon.grafana.enabled (eq $mon.grafana.database.type "postgres") (not $mon.grafana.database.host) -}}
{{- $open := int $mon.grafana.database.maxOpenConns -}}
{{- $consumers = append $consumers (dict "name" "grafana" "connections" $open "why" (printf "1 pod (Recreate) x %d (database.maxOpenConns)" $open)) -}}
{{- end -}}
{{- $t := (index .Values "troll-classifier").training -}}
{{- if and (index .Values "troll-classifier").enabled $t.enabled (not $t.dataset.host) -}}
{{- $runs := ternary 2 1 (and $t.firstChampion true) -}}
{{- $consumers = append $consumers (dict "name" "training" "connections" $runs "why" (printf "%d runs at once (first champion, CronJob) x 1" $runs)) -}}
{{- end -}}
{{- $w := .Values.webapp -}}
{{- if and $w.enabled (not $w.database.host) -}}
{{- $pods := add (int $w.replicas) (include "platform.surge" (dict "replicas" (int $w.replicas)) | int) -}}
{{- $why := printf "%s x %d (database.poolSize)" (include "platform.pods" $pods) (int $w.database.poolSize) -}}
{{- $consumers = append $consumers (dict "name" "webapp" "connections" (mul $pods $w.database.poolSize) "why" $why) -}}
{{- end -}}
{{- if .Values.postgresql.metrics.enabled -}}
{{- $consumers = append $consumers (dict "name" "postgres-exporter" "connections" 1 "why" "one connection") -}}
{{- end -}}
{{- $total := 0 -}}
{{- range $consumers -}}
{{- $total = add $total .connections -}}
{{- end -}}
{{- toJson (dict "consumers" $consumers "total" $total) -}}
{{- end -}}

{{/*
Refuse to render when the consumers may open more connections than PostgreSQL accepts:
past that, new connections fail with "too many clients" under load, not at install.
*/}}
{{- define "platform.checkConnectionBudget" -}}
{{- $pg := .Values.postgresql -}}
{{- if $pg.enabled -}}
{{- $budget := include "platform.connectionBudget" . | fromJson -}}
{{- $available := sub (int $pg.maxConnections) (int $pg.superuserReservedConnections) -}}
{{- if gt (int $budget.total) $available -}}
{{- $lines := list -}}
{{- range $budget.consumers -}}
{{- $lines = append $lines (printf "%s %d = %s" .name (int .connections) .why) -}}
{{- end -}}
{{- fail (printf "PostgreSQL connection budget: the platform may open %d connections at once, but postgresql.maxConnections %d leaves %d (%d reserved for superusers): %s. Raise postgresql.maxConnections (and its memory) or lower the pools: mlflow.database.pool.size/maxOverflow, harbor.database.maxOpenConns, monitoring.grafana.database.maxOpenConns, webapp.database.poolSize" (int $budget.total) (int $pg.maxConnections) $available (int $pg.superuserReservedConnections) (join "; " $lines)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
