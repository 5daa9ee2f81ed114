#include "steps/pull/pin.hpp"

#include "os/docker/image_ref.hpp"

namespace stagehand::steps {
namespace {

// How a log line names an image: its digest when it has one, else its id.
std::string shown(const std::string& digest, const std::string& id) {
    return digest.empty() ? (id.empty() ? std::string("nothing") : id) : digest;
}

std::string deployment_of(const core::RevisionEntry& recorded) {
    std::string text = "deployment " + recorded.deployment_id;
    if (!recorded.bundle_commit.empty()) {
        text += " (commit " + recorded.bundle_commit + ")";
    } else if (!recorded.bundle_etag.empty()) {
        text += " (etag " + recorded.bundle_etag +
                (recorded.bundle_version.empty() ? "" : ", version " + recorded.bundle_version) +
                ")";
    }
    return text;
}

class Pinner {
  public:
    Pinner(const core::RevisionEntry& recorded, const core::PullConfig& config, Context& ctx)
        : m_recorded(recorded), m_config(config), m_ctx(ctx), m_docker(*ctx.docker) {}

    // Decides and acts for one service; false when it failed (result.error says why).
    bool pin(const PullImage& wanted, const core::ServiceImage& recorded, PinResult& result);

  private:
    util::Status act(const PinResult& result, const core::ServiceImage& recorded);

    const core::RevisionEntry& m_recorded;
    const core::PullConfig& m_config;
    Context& m_ctx;
    os::Docker& m_docker;
};

bool Pinner::pin(const PullImage& wanted, const core::ServiceImage& recorded, PinResult& result) {
    auto current = m_docker.image_info(wanted.image, m_ctx.deadline, m_ctx.cancel);
    auto old = m_docker.image_info(recorded.id, m_ctx.deadline, m_ctx.cancel);
    if (!current || !old) {
        result.error = (!current ? current.error() : old.error()).message;
        return false;
    }
    core::PinFacts facts{wanted.service, wanted.image, *current ? (*current)->id : "", recorded,
                         old->has_value()};
    const auto decision =
        core::decide_pin(facts, m_config.pin, m_config.policy != core::PullPolicy::never);
    result.action = decision.action;
    result.from_digest =
        *current
            ? shown(os::pick_repo_digest((*current)->repo_digests, wanted.image), (*current)->id)
            : "nothing";
    result.to_digest = shown(recorded.digest, recorded.id);
    if (decision.action == core::PinAction::keep) {
        m_ctx.log.debug(wanted.service, "no pin for " + wanted.image + ": " + decision.reason);
        return true;
    }
    if (decision.action == core::PinAction::impossible) {
        result.error = decision.reason;
        return false;
    }
    if (auto acted = act(result, recorded); !acted) {
        result.error = acted.error().message;
        return false;
    }
    m_ctx.log.info(
        wanted.service,
        "pinned " + wanted.image + " back to " + result.to_digest + " (it pointed at " +
            result.from_digest + ") as " + deployment_of(m_recorded) + " ran it" +
            (decision.action == core::PinAction::pull_by_digest ? ", pulled by digest"
                                                                : ", re-tagged locally"));
    return true;
}

util::Status Pinner::act(const PinResult& result, const core::ServiceImage& recorded) {
    std::string source = recorded.id;
    if (result.action == core::PinAction::pull_by_digest) {
        source = os::split_image_ref(result.image).repository + "@" + recorded.digest;
        m_ctx.log.info(result.service, "pulling " + source + " to pin " + result.image);
        auto pulled = m_docker.pull(
            source, std::min(m_ctx.deadline, m_ctx.clock.now() + m_config.timeout), m_ctx.cancel);
        if (!pulled) {
            return pulled.error();
        }
    }
    return m_docker.tag_image(source, result.image, m_ctx.deadline, m_ctx.cancel);
}

}  // namespace

PinOutcome run_pins(const std::vector<PullImage>& images, const core::RevisionEntry& recorded,
                    const core::PullConfig& config, Context& ctx) {
    PinOutcome outcome;
    if (ctx.docker == nullptr) {
        outcome.ok = false;
        outcome.failure = "no Docker connection for the pins";
        return outcome;
    }
    Pinner pinner(recorded, config, ctx);
    for (const auto& wanted : images) {
        const auto found = recorded.services.find(wanted.service);
        if (found == recorded.services.end()) {
            continue;
        }
        PinResult result{wanted.service, wanted.image, core::PinAction::keep, "", "", ""};
        const bool ok = pinner.pin(wanted, found->second, result);
        outcome.pins.push_back(result);
        if (!ok) {
            outcome.ok = false;
            outcome.failure = "cannot pin " + wanted.image + " (service " + wanted.service +
                              ") back to what " + deployment_of(recorded) +
                              " ran: " + result.error +
                              "; set pull.pin: never to run what the tag names now";
            return outcome;
        }
    }
    return outcome;
}

util::Result<std::map<std::string, core::ServiceImage>> running_images(const std::string& project,
                                                                       Context& ctx) {
    auto containers = ctx.docker->project_containers(project, ctx.deadline, ctx.cancel);
    if (!containers) {
        return containers.error();
    }
    std::map<std::string, core::ServiceImage> out;
    for (const auto& container : *containers) {
        if (container.service.empty() || container.image_id.empty()) {
            continue;
        }
        auto info = ctx.docker->image_info(container.image_id, ctx.deadline, ctx.cancel);
        if (!info) {
            return info.error();
        }
        const std::string digest =
            *info ? os::pick_repo_digest((*info)->repo_digests, container.image) : "";
        out[container.service] = core::ServiceImage{container.image, container.image_id, digest};
    }
    return out;
}

nlohmann::json pins_report_json(const PinOutcome& outcome) {
    nlohmann::json pins = nlohmann::json::array();
    for (const auto& pin : outcome.pins) {
        pins.push_back({{"service", pin.service},
                        {"image", pin.image},
                        {"action", core::to_string(pin.action)},
                        {"from", pin.from_digest},
                        {"to", pin.to_digest},
                        {"error", pin.error}});
    }
    return pins;
}

}  // namespace stagehand::steps
