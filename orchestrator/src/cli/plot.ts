/** Draws an experiment's plot headless: its Vega-Lite specification, compiled to Vega, rendered to SVG. */
import * as vega from "vega";
import * as vl from "vega-lite";

export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
