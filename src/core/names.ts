/** A name (layer, model, knob…) made safe as one path component: every run of other characters becomes '_'. */
export function fileSafe(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}
