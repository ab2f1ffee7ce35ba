/**
 * What makes the generated model a dashboard "exported for sharing", the form Grafana's
 * Import dialog reads: `__inputs` (the import dialog asks for a Prometheus data source, which
 * becomes the default of the dashboard's `datasource` variable), `__requires` (the Grafana
 * version, data source and panel plugins it needs), and a schema version that the oldest
 * supported Grafana knows.
 *
 * Grafana migrates a dashboard of an older schemaVersion forward when it loads it, never
 * backward: a schemaVersion newer than the running Grafana's is not understood. 39 is Grafana
 * 10.4's, the oldest release this dashboard supports; the foundation SDK writes its own (newer)
 * one, and nothing this dashboard uses needs a later migration.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

export const SCHEMA_VERSION = 39;
export const MIN_GRAFANA = '10.4.0';
/** The import dialog's input; `${DS_PROMETHEUS}` in the JSON is replaced by the chosen uid. */
export const DS_INPUT = 'DS_PROMETHEUS';

/** Display names of the panel plugins, as Grafana writes them into __requires. */
const PANEL_NAMES: Record<string, string> = {
  bargauge: 'Bar gauge',
  gauge: 'Gauge',
  heatmap: 'Heatmap',
  stat: 'Stat',
  'state-timeline': 'State timeline',
  table: 'Table',
  timeseries: 'Time series',
};

interface Requirement {
  readonly type: 'grafana' | 'datasource' | 'panel';
  readonly id: string;
  readonly name: string;
  readonly version: string;
}

/** The panel types of a model, rows' inner panels included (rows themselves are no plugin). */
function panelTypes(model: dashboard.Dashboard): string[] {
  const types = new Set<string>();
  for (const panel of model.panels ?? []) {
    if (panel.type !== 'row') types.add(panel.type);
    for (const inner of 'panels' in panel ? panel.panels : []) types.add((inner as { type: string }).type);
  }
  return [...types].sort();
}

export function forSharing(model: dashboard.Dashboard): Record<string, unknown> {
  const requires: Requirement[] = [
    { type: 'grafana', id: 'grafana', name: 'Grafana', version: MIN_GRAFANA },
    { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
    ...panelTypes(model).map((id): Requirement => {
      const name = PANEL_NAMES[id];
      if (name === undefined) throw new Error(`panel type ${id}: add its display name to PANEL_NAMES`);
      return { type: 'panel', id, name, version: '' };
    }),
  ];
  // The datasource variable starts on the data source chosen at import.
  const list = (model.templating?.list ?? []).map((variable) =>
    variable.type === 'datasource'
      ? { ...variable, current: { selected: true, text: `\${${DS_INPUT}}`, value: `\${${DS_INPUT}}` } }
      : variable,
  );
  return {
    __inputs: [
      {
        name: DS_INPUT,
        label: 'Prometheus',
        description: 'The Prometheus that scrapes jool-session-exporter.',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    __elements: {},
    __requires: requires,
    ...model,
    templating: { ...model.templating, list },
    schemaVersion: SCHEMA_VERSION,
  };
}
