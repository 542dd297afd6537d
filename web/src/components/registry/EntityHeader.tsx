/** Headings of the artifact and model pages: the entity's own, and the selected version's. */
import type { ReactNode } from "react";
import "../../styles/registry.css";
import { Link } from "../../router";
import { EditableDescription, type DescriptionEdit } from "./DescriptionEditor";

/** The name with its kind chip, the description (editable in place with `edit`, once loaded), then the page's own lines (`children`). */
export function EntityHeader({
  name,
  chip,
  description,
  edit,
  testId,
  children,
}: {
  name: string;
  chip: ReactNode;
  description: string | undefined;
  edit?: DescriptionEdit;
  testId: string;
  children?: ReactNode;
}) {
  const show = (text: string) =>
    text ? (
      <p className="entity-description" data-testid="entity-description">
        {text}
      </p>
    ) : null;
  return (
    <div className="entity-head" data-testid={testId}>
      <div className="title-row">
        <h1 className="entity-title">{name}</h1>
        {chip}
      </div>
      {edit && description !== undefined ? (
        <EditableDescription text={description} testId="entity-description-editor" {...edit}>
          {show}
        </EditableDescription>
      ) : (
        show(description ?? "")
      )}
      {children}
    </div>
  );
}

/** A version's title, its badges (`children`) and the link to its lineage. */
export function VersionHeading({ title, lineage, children }: { title: string; lineage: string; children?: ReactNode }) {
  return (
    <div className="section-head-row">
      <h2 className="section-title-lg">{title}</h2>
      {children}
      <Link to={lineage} className="btn small" data-testid="lineage-link">
        Lineage
      </Link>
    </div>
  );
}
